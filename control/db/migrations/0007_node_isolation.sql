-- nodes.isolation: how a node isolates its workspaces (contract NODE_ISOLATIONS), NULL until it reports one.
-- (drizzle-kit generated; the INSERT selects NULL for the new isolation column, which the old table lacks.)
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_nodes` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`address` text NOT NULL,
	`public_key` text NOT NULL,
	`labels` text NOT NULL,
	`capacity_workspaces` integer NOT NULL,
	`laptop` integer NOT NULL,
	`load_cpu` integer,
	`load_memory` integer,
	`version` text,
	`isolation` text,
	`last_heartbeat_at` integer,
	`created_at` integer NOT NULL,
	CONSTRAINT "nodes_status_check" CHECK("status" IN ('online', 'degraded', 'suspect', 'partitioned', 'offline', 'awaiting_agent')),
	CONSTRAINT "nodes_isolation_check" CHECK("isolation" IS NULL OR "isolation" IN ('sandbox', 'sandbox-shared-network', 'process'))
);
--> statement-breakpoint
INSERT INTO `__new_nodes`("id", "name", "status", "address", "public_key", "labels", "capacity_workspaces", "laptop", "load_cpu", "load_memory", "version", "isolation", "last_heartbeat_at", "created_at") SELECT "id", "name", "status", "address", "public_key", "labels", "capacity_workspaces", "laptop", "load_cpu", "load_memory", "version", NULL, "last_heartbeat_at", "created_at" FROM `nodes`;--> statement-breakpoint
DROP TABLE `nodes`;--> statement-breakpoint
ALTER TABLE `__new_nodes` RENAME TO `nodes`;--> statement-breakpoint
PRAGMA foreign_keys=ON;