CREATE TABLE `tenant_banks` (
	`tenant` text NOT NULL,
	`bank_id` text NOT NULL,
	`enabled` integer NOT NULL,
	`changed_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant`, `bank_id`)
);
--> statement-breakpoint
ALTER TABLE `schedules` ADD `bank_id` text;--> statement-breakpoint
ALTER TABLE `schedules` ADD `lesson_id` text;--> statement-breakpoint
ALTER TABLE `users` ADD `max_reviews_per_day` integer;