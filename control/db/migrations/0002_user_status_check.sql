PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_users` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`email` text,
	`role` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`github_id` integer,
	`github_login` text,
	`created_at` integer NOT NULL,
	CONSTRAINT "users_role_check" CHECK("role" IN ('admin', 'member')),
	CONSTRAINT "users_status_check" CHECK("status" IN ('active', 'pending'))
);
--> statement-breakpoint
INSERT INTO `__new_users`("id", "name", "email", "role", "status", "github_id", "github_login", "created_at") SELECT "id", "name", "email", "role", "status", "github_id", "github_login", "created_at" FROM `users`;--> statement-breakpoint
DROP TABLE `users`;--> statement-breakpoint
ALTER TABLE `__new_users` RENAME TO `users`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `users_github_id` ON `users` (`github_id`);