-- users.disabled_at: an admin disabled the user (no credential of theirs works until enabled); emails unique whatever their case.
ALTER TABLE `users` ADD `disabled_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (lower("email"));
