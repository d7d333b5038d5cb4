CREATE TABLE `members` (
	`tenant` text NOT NULL,
	`user_id` integer NOT NULL,
	`display_name` text NOT NULL,
	PRIMARY KEY(`tenant`, `user_id`)
);
--> statement-breakpoint
ALTER TABLE `banks` ADD `tenant` text;--> statement-breakpoint
ALTER TABLE `import_drafts` ADD `tenant` text;--> statement-breakpoint
ALTER TABLE `imports` ADD `tenant` text;--> statement-breakpoint
CREATE INDEX `imports_tenant` ON `imports` (`tenant`,`created_at`);--> statement-breakpoint
ALTER TABLE `questions` ADD `tenant` text;--> statement-breakpoint
CREATE INDEX `questions_tenant` ON `questions` (`tenant`);--> statement-breakpoint
CREATE INDEX `races_running` ON `races` (`round_ends_at`) WHERE status = 'running';--> statement-breakpoint
CREATE INDEX `races_channel` ON `races` (`platform`,`server_id`,`channel_id`);