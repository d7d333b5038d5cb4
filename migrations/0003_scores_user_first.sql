PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_scores` (
	`scope` text NOT NULL,
	`period` text NOT NULL,
	`user_id` integer NOT NULL,
	`points` integer NOT NULL,
	`reached_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `scope`, `period`)
);
--> statement-breakpoint
INSERT INTO `__new_scores`("scope", "period", "user_id", "points", "reached_at") SELECT "scope", "period", "user_id", "points", "reached_at" FROM `scores` ORDER BY "user_id", "scope", "period";--> statement-breakpoint
DROP TABLE `scores`;--> statement-breakpoint
ALTER TABLE `__new_scores` RENAME TO `scores`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `scores_board` ON `scores` (`scope`,`period`);