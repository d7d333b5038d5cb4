CREATE TABLE `awards` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`award_key` text NOT NULL,
	`user_id` integer NOT NULL,
	`server_key` text NOT NULL,
	`channel_id` text NOT NULL,
	`points` integer NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `awards_key` ON `awards` (`award_key`);--> statement-breakpoint
CREATE TABLE `banks` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`origin` text NOT NULL,
	`lesson_id` text,
	`content_hash` text NOT NULL,
	`retired_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `cards` (
	`user_id` integer NOT NULL,
	`question_id` text NOT NULL,
	`due` integer NOT NULL,
	`stability` real NOT NULL,
	`difficulty` real NOT NULL,
	`elapsed_days` integer NOT NULL,
	`scheduled_days` integer NOT NULL,
	`learning_steps` integer NOT NULL,
	`reps` integer NOT NULL,
	`lapses` integer NOT NULL,
	`state` integer NOT NULL,
	`last_review` integer,
	PRIMARY KEY(`user_id`, `question_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`question_id`) REFERENCES `questions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `cards_user_due` ON `cards` (`user_id`,`due`);--> statement-breakpoint
CREATE TABLE `group_members` (
	`group_id` integer NOT NULL,
	`server_key` text NOT NULL,
	`user_id` integer NOT NULL,
	`joined_at` integer NOT NULL,
	PRIMARY KEY(`server_key`, `user_id`),
	FOREIGN KEY (`group_id`) REFERENCES `study_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `group_members_group` ON `group_members` (`group_id`);--> statement-breakpoint
CREATE TABLE `import_drafts` (
	`id` text PRIMARY KEY NOT NULL,
	`actor` text NOT NULL,
	`platform` text NOT NULL,
	`file_name` text NOT NULL,
	`file_hash` text NOT NULL,
	`format` text NOT NULL,
	`bank` text NOT NULL,
	`created_at` integer NOT NULL,
	`applied_at` integer
);
--> statement-breakpoint
CREATE TABLE `imports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`bank_id` text NOT NULL,
	`actor` text NOT NULL,
	`platform` text NOT NULL,
	`file_name` text NOT NULL,
	`file_hash` text NOT NULL,
	`format` text NOT NULL,
	`added` integer NOT NULL,
	`changed` integer NOT NULL,
	`removed` integer NOT NULL,
	`unchanged` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `imports_time` ON `imports` (`created_at`);--> statement-breakpoint
CREATE TABLE `lesson_sections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lesson_id` text NOT NULL,
	`slug` text NOT NULL,
	`title` text NOT NULL,
	`position` integer NOT NULL,
	`body` text NOT NULL,
	FOREIGN KEY (`lesson_id`) REFERENCES `lessons`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `lesson_sections_lesson_slug` ON `lesson_sections` (`lesson_id`,`slug`);--> statement-breakpoint
CREATE TABLE `lessons` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`summary` text NOT NULL,
	`minutes` integer NOT NULL,
	`tags` text NOT NULL,
	`position` integer NOT NULL,
	`content_hash` text NOT NULL,
	`retired_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `question_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`question_id` text NOT NULL,
	`user_id` integer NOT NULL,
	`server_key` text NOT NULL,
	`comment` text NOT NULL,
	`created_at` integer NOT NULL,
	`resolved_at` integer
);
--> statement-breakpoint
CREATE INDEX `question_reports_open` ON `question_reports` (`resolved_at`,`created_at`);--> statement-breakpoint
CREATE TABLE `questions` (
	`id` text PRIMARY KEY NOT NULL,
	`bank_id` text NOT NULL,
	`position` integer NOT NULL,
	`type` text NOT NULL,
	`body` text NOT NULL,
	`lesson_id` text,
	`section_title` text,
	`content_hash` text NOT NULL,
	`retired_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`bank_id`) REFERENCES `banks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `questions_bank` ON `questions` (`bank_id`,`position`);--> statement-breakpoint
CREATE INDEX `questions_lesson` ON `questions` (`lesson_id`);--> statement-breakpoint
CREATE TABLE `quiz_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`server_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`mode` text NOT NULL,
	`lesson_id` text,
	`question_ids` text NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`choice_order` text NOT NULL,
	`correct` integer DEFAULT 0 NOT NULL,
	`points` integer DEFAULT 0 NOT NULL,
	`missed` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`local_day` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `quiz_sessions_user` ON `quiz_sessions` (`user_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `race_answers` (
	`race_id` text NOT NULL,
	`round` integer NOT NULL,
	`user_id` integer NOT NULL,
	`choice` integer NOT NULL,
	`correct` integer NOT NULL,
	`answered_at` integer NOT NULL,
	`points` integer NOT NULL,
	PRIMARY KEY(`race_id`, `round`, `user_id`),
	FOREIGN KEY (`race_id`) REFERENCES `races`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `races` (
	`id` text PRIMARY KEY NOT NULL,
	`platform` text NOT NULL,
	`server_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`lesson_id` text,
	`question_ids` text NOT NULL,
	`orders` text NOT NULL,
	`round` integer NOT NULL,
	`round_ends_at` integer NOT NULL,
	`status` text NOT NULL,
	`started_by` integer NOT NULL,
	`started_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `reviews` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`question_id` text NOT NULL,
	`rating` integer NOT NULL,
	`correct` integer NOT NULL,
	`was_due` integer NOT NULL,
	`was_new` integer NOT NULL,
	`answered_at` integer NOT NULL,
	`local_day` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `reviews_user_time` ON `reviews` (`user_id`,`answered_at`);--> statement-breakpoint
CREATE INDEX `reviews_question` ON `reviews` (`question_id`);--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`platform` text NOT NULL,
	`server_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`time` text NOT NULL,
	`timezone` text NOT NULL,
	`weekly_leaderboard` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`last_posted_day` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `schedules_channel` ON `schedules` (`platform`,`server_id`,`channel_id`);--> statement-breakpoint
CREATE TABLE `scores` (
	`scope` text NOT NULL,
	`period` text NOT NULL,
	`user_id` integer NOT NULL,
	`points` integer NOT NULL,
	`reached_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `period`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `scores_rank` ON `scores` (`scope`,`period`,"points" DESC,`reached_at`);--> statement-breakpoint
CREATE TABLE `seasons` (
	`server_key` text NOT NULL,
	`number` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`ended_by` text,
	PRIMARY KEY(`server_key`, `number`)
);
--> statement-breakpoint
CREATE TABLE `session_answers` (
	`session_id` text NOT NULL,
	`position` integer NOT NULL,
	`question_id` text NOT NULL,
	`answer` text NOT NULL,
	`correct` integer NOT NULL,
	`points` integer NOT NULL,
	`interaction_id` text NOT NULL,
	`answered_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `position`),
	FOREIGN KEY (`session_id`) REFERENCES `quiz_sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `streaks` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`current` integer NOT NULL,
	`best` integer NOT NULL,
	`last_day` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `study_groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`server_key` text NOT NULL,
	`name` text NOT NULL,
	`name_key` text NOT NULL,
	`created_by` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `study_groups_name` ON `study_groups` (`server_key`,`name_key`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`platform` text NOT NULL,
	`external_id` text NOT NULL,
	`display_name` text NOT NULL,
	`timezone` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_platform_external` ON `users` (`platform`,`external_id`);