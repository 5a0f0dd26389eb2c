CREATE TABLE `github_installations` (
	`id` integer PRIMARY KEY NOT NULL,
	`account_id` integer NOT NULL,
	`account_login` text NOT NULL,
	`account_type` text NOT NULL,
	`suspended` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `github_sign_in_states` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`redirect_url` text NOT NULL,
	`return_to` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `github_sign_in_states_expires` ON `github_sign_in_states` (`expires_at`);--> statement-breakpoint
CREATE TABLE `github_user_tokens` (
	`user_id` text PRIMARY KEY NOT NULL,
	`sealed_token` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `project_github` (
	`project_id` text PRIMARY KEY NOT NULL,
	`installation_id` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `project_repos` (
	`project_id` text NOT NULL,
	`repo_id` integer NOT NULL,
	`full_name` text NOT NULL,
	`role` text NOT NULL,
	PRIMARY KEY(`project_id`, `repo_id`),
	FOREIGN KEY (`project_id`) REFERENCES `project_github`(`project_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "project_repos_role_check" CHECK("role" IN ('primary', 'additional'))
);
--> statement-breakpoint
ALTER TABLE `users` ADD `status` text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `github_id` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `github_login` text;--> statement-breakpoint
CREATE UNIQUE INDEX `users_github_id` ON `users` (`github_id`);