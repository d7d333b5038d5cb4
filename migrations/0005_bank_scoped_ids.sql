ALTER TABLE `questions` ADD `local_id` text;--> statement-breakpoint
ALTER TABLE `questions` ADD `prompt_key` text;--> statement-breakpoint
-- Every stored question keeps its id, which is also its id in its bank.
UPDATE `questions` SET `local_id` = `id`;--> statement-breakpoint
CREATE UNIQUE INDEX `questions_bank_local` ON `questions` (`bank_id`,`local_id`);--> statement-breakpoint
CREATE INDEX `questions_prompt` ON `questions` (`prompt_key`);--> statement-breakpoint
-- Prompt keys are computed in JavaScript: forgetting the content fingerprint makes the next start
-- sync the content, which fills them for every stored question.
DELETE FROM `meta` WHERE `key` = 'content_fingerprint';
