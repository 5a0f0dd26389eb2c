-- Warm pool table; join tokens may be minted by the control plane itself (no creator) and bound to a pre-allocated node id.
-- (drizzle-kit generated; the INSERT selects NULL for the new node_id column, which the old table lacks.)
CREATE TABLE `warm_nodes` (
	`id` text PRIMARY KEY NOT NULL,
	`pool` text NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`ready_at` integer,
	`idle_since` integer,
	`claimed_by` text,
	`claimed_at` integer,
	CONSTRAINT "warm_nodes_state_check" CHECK("state" IN ('provisioning', 'warm', 'claimed', 'reaping')),
	CONSTRAINT "warm_nodes_claimed_check" CHECK(("state" = 'claimed') = ("claimed_by" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `warm_nodes_pool_state` ON `warm_nodes` (`pool`,`state`,`ready_at`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_join_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`created_by` text,
	`laptop` integer NOT NULL,
	`labels` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`used_by_node` text,
	`node_id` text,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_join_tokens`("id", "token_hash", "created_by", "laptop", "labels", "created_at", "expires_at", "used_at", "used_by_node", "node_id") SELECT "id", "token_hash", "created_by", "laptop", "labels", "created_at", "expires_at", "used_at", "used_by_node", NULL FROM `join_tokens`;--> statement-breakpoint
DROP TABLE `join_tokens`;--> statement-breakpoint
ALTER TABLE `__new_join_tokens` RENAME TO `join_tokens`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `join_tokens_token_hash` ON `join_tokens` (`token_hash`);