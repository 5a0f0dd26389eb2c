-- Permission requests of agents: projects.agent_permissions (`ask`, the default for every project, or `allow`), and
-- the task status `needs_input` (a task whose agent waits on a person). SQLite cannot change a CHECK, so tasks is
-- rebuilt (drizzle's migrator runs this with foreign keys off: task_messages keep their rows); its full-text
-- triggers went with the old table and are made again, and the index is rebuilt since the copied rows got new rowids.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_tasks` (
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
	CONSTRAINT "tasks_status_check" CHECK("status" IN ('queued', 'placing', 'running', 'needs_input', 'completed', 'failed', 'cancelled'))
);
--> statement-breakpoint
INSERT INTO `__new_tasks`("id", "project_id", "owner_id", "prompt", "status", "idempotency_key", "request_hash", "dispatch_id", "workspace_id", "node_id", "agent_session_id", "outcome", "summary", "created_at", "updated_at", "ended_at") SELECT "id", "project_id", "owner_id", "prompt", "status", "idempotency_key", "request_hash", "dispatch_id", "workspace_id", "node_id", "agent_session_id", "outcome", "summary", "created_at", "updated_at", "ended_at" FROM `tasks`;--> statement-breakpoint
DROP TABLE `tasks`;--> statement-breakpoint
ALTER TABLE `__new_tasks` RENAME TO `tasks`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_owner_key` ON `tasks` (`owner_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `tasks_owner` ON `tasks` (`owner_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_status` ON `tasks` (`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_one_per_workspace` ON `tasks` (`workspace_id`) WHERE "status" IN ('placing', 'running', 'needs_input');--> statement-breakpoint
ALTER TABLE `projects` ADD `agent_permissions` text DEFAULT 'ask' NOT NULL CONSTRAINT "projects_agent_permissions_check" CHECK("agent_permissions" IN ('ask', 'allow'));--> statement-breakpoint
CREATE TRIGGER `tasks_ai` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO task_search (rowid, prompt, summary) VALUES (new.rowid, new.prompt, new.summary);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_ad` AFTER DELETE ON `tasks` BEGIN
  INSERT INTO task_search (task_search, rowid, prompt, summary) VALUES ('delete', old.rowid, old.prompt, old.summary);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_au` AFTER UPDATE OF prompt, summary ON `tasks` BEGIN
  INSERT INTO task_search (task_search, rowid, prompt, summary) VALUES ('delete', old.rowid, old.prompt, old.summary);
  INSERT INTO task_search (rowid, prompt, summary) VALUES (new.rowid, new.prompt, new.summary);
END;
--> statement-breakpoint
INSERT INTO task_search (task_search) VALUES ('rebuild');
