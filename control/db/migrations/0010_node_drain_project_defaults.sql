ALTER TABLE `nodes` ADD `drained_at` integer;--> statement-breakpoint
ALTER TABLE `projects` ADD `app_command` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `agent_command` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `resources` text DEFAULT '{}' NOT NULL;