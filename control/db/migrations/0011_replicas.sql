-- Replicas: the lease of the duties that run once, counters every replica reads, node proofs already used.
CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`term` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`acquired_at` integer NOT NULL,
	`info` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE TABLE `node_proof_uses` (
	`jti` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `node_proof_uses_expires` ON `node_proof_uses` (`expires_at`);--> statement-breakpoint
CREATE TABLE `shared_counters` (
	`name` text PRIMARY KEY NOT NULL,
	`value` integer NOT NULL
);
