DROP INDEX `workspaces_node`;--> statement-breakpoint
CREATE INDEX `workspaces_node` ON `workspaces` (`node_id`,`desired_state`);