-- Custom SQL migration file, put your code below! --
-- Full-text search over task prompts and summaries and over activity messages (FTS5, external content):
-- triggers keep each index in step with its table. Queries are built from quoted terms only (contract/search.ts).
CREATE VIRTUAL TABLE `task_search` USING fts5(prompt, summary, content='tasks', content_rowid='rowid');
--> statement-breakpoint
CREATE TRIGGER `tasks_ai` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO task_search (rowid, prompt, summary) VALUES (new.rowid, new.prompt, new.summary);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_ad` AFTER DELETE ON `tasks` BEGIN
  INSERT INTO task_search (task_search, rowid, prompt, summary) VALUES ('delete', old.rowid, old.prompt, old.summary);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_au` AFTER UPDATE OF prompt, summary ON `tasks` BEGIN
  INSERT INTO task_search (task_search, rowid, prompt, summary) VALUES ('delete', old.rowid, old.prompt, old.summary);
  INSERT INTO task_search (rowid, prompt, summary) VALUES (new.rowid, new.prompt, new.summary);
END;
--> statement-breakpoint
CREATE VIRTUAL TABLE `activity_search` USING fts5(type, message, content='activity_events', content_rowid='id');
--> statement-breakpoint
CREATE TRIGGER `activity_events_ai` AFTER INSERT ON `activity_events` BEGIN
  INSERT INTO activity_search (rowid, type, message) VALUES (new.id, new.type, new.message);
END;
--> statement-breakpoint
CREATE TRIGGER `activity_events_ad` AFTER DELETE ON `activity_events` BEGIN
  INSERT INTO activity_search (activity_search, rowid, type, message) VALUES ('delete', old.id, old.type, old.message);
END;
