-- People: users.disabled_at (an admin disabled the user; no credential of theirs works until enabled), and emails
-- unique whatever their case. A database that already holds one email twice (in any case) keeps it on the oldest
-- user (earliest created_at, then smallest id); every later one loses its email (NULL) so the index can be built.
ALTER TABLE `users` ADD `disabled_at` integer;--> statement-breakpoint
UPDATE `users` SET `email` = NULL WHERE `email` IS NOT NULL AND EXISTS (
  SELECT 1 FROM `users` AS `older`
  WHERE lower(`older`.`email`) = lower(`users`.`email`)
    AND (`older`.`created_at` < `users`.`created_at` OR (`older`.`created_at` = `users`.`created_at` AND `older`.`id` < `users`.`id`))
);--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (lower("email"));
