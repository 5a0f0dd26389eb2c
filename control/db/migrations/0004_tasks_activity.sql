CREATE TABLE `activity_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`type` text NOT NULL,
	`message` text NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "activity_events_kind_check" CHECK("kind" IN ('lifecycle', 'task', 'agent'))
);
--> statement-breakpoint
CREATE INDEX `activity_events_workspace` ON `activity_events` (`workspace_id`,`id`);--> statement-breakpoint
CREATE INDEX `activity_events_at` ON `activity_events` (`at`);--> statement-breakpoint
CREATE TABLE `task_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`task_id` text NOT NULL,
	`text` text NOT NULL,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `task_messages_task` ON `task_messages` (`task_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`prompt` text NOT NULL,
	`status` text NOT NULL,
	`idempotency_key` text,
	`request_hash` text NOT NULL,
	`dispatch_id` text,
	`workspace_id` text,
	`node_id` text,
	`agent_session_id` text,
	`outcome` text,
	`summary` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`node_id`) REFERENCES `nodes`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "tasks_status_check" CHECK("status" IN ('queued', 'placing', 'running', 'completed', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_owner_key` ON `tasks` (`owner_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `tasks_owner` ON `tasks` (`owner_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_status` ON `tasks` (`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_one_per_workspace` ON `tasks` (`workspace_id`) WHERE "status" IN ('placing', 'running');--> statement-breakpoint
ALTER TABLE `workspaces` ADD `agent_command` text;