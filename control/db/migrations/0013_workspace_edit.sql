-- Workspace editing and retries: the `degraded` status (its agent failed), a `generation` that grows with each
-- retry, and names unique within a project. Names that were already taken twice keep the oldest workspace's
-- name; each later one gets "-" and the last 6 characters of its id (at most 64 characters, as the API allows).
-- (drizzle-kit generated; the INSERT selects 0 for the new generation column, which the old table lacks.)
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_workspaces` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`project_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`node_id` text,
	`status` text NOT NULL,
	`status_before_unreachable` text,
	`desired_state` text NOT NULL,
	`status_reason` text,
	`app_command` text,
	`agent_command` text,
	`env` text NOT NULL,
	`resources` text DEFAULT '{}' NOT NULL,
	`shell` text,
	`generation` integer DEFAULT 0 NOT NULL,
	`port` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`node_id`) REFERENCES `nodes`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "workspaces_status_check" CHECK("status" IN ('pending', 'starting', 'running', 'degraded', 'stopping', 'stopped', 'error', 'unreachable', 'deleting')),
	CONSTRAINT "workspaces_status_before_check" CHECK("status_before_unreachable" IS NULL OR "status_before_unreachable" IN ('pending', 'starting', 'running', 'degraded', 'stopping', 'stopped', 'error', 'unreachable', 'deleting')),
	CONSTRAINT "workspaces_desired_check" CHECK("desired_state" IN ('running', 'stopped', 'deleted'))
);
--> statement-breakpoint
INSERT INTO `__new_workspaces`("id", "name", "project_id", "owner_id", "node_id", "status", "status_before_unreachable", "desired_state", "status_reason", "app_command", "agent_command", "env", "resources", "shell", "generation", "port", "created_at", "updated_at") SELECT "id", "name", "project_id", "owner_id", "node_id", "status", "status_before_unreachable", "desired_state", "status_reason", "app_command", "agent_command", "env", "resources", "shell", 0, "port", "created_at", "updated_at" FROM `workspaces`;--> statement-breakpoint
DROP TABLE `workspaces`;--> statement-breakpoint
ALTER TABLE `__new_workspaces` RENAME TO `workspaces`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `workspaces_owner` ON `workspaces` (`owner_id`);--> statement-breakpoint
CREATE INDEX `workspaces_node` ON `workspaces` (`node_id`,`desired_state`);--> statement-breakpoint
UPDATE `workspaces` SET `name` = substr(`name`, 1, 57) || '-' || substr(`id`, -6)
WHERE `desired_state` != 'deleted' AND EXISTS (
	SELECT 1 FROM `workspaces` AS `first`
	WHERE `first`.`project_id` = `workspaces`.`project_id` AND `first`.`name` = `workspaces`.`name`
		AND `first`.`desired_state` != 'deleted'
		AND (`first`.`created_at` < `workspaces`.`created_at`
			OR (`first`.`created_at` = `workspaces`.`created_at` AND `first`.`id` < `workspaces`.`id`))
);--> statement-breakpoint
CREATE UNIQUE INDEX `workspaces_project_name` ON `workspaces` (`project_id`,`name`) WHERE "desired_state" != 'deleted';