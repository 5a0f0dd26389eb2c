ALTER TABLE `tasks` ADD `branch` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `commit_sha` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `base_branch` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `pull_request_url` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `pull_request_number` integer;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `agent_state` text;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `task_id` text;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `repository` text;--> statement-breakpoint
CREATE INDEX `workspaces_task` ON `workspaces` (`task_id`);