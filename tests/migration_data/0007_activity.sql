-- 0007_activity: the feed's events (as the services record them), a group visit, a weekly
-- summary asked for.

INSERT INTO activity_events (id, created_at, kind, group_id, actor_id, service_id, document_id, revision_number, thread_id, message_number, meeting_id, action_id, subject_id, title, summary, size_change) VALUES
  (1, '2025-03-12 11:00:00.000000', 'minutes.edited', 1, 2, 1, 3, 1, NULL, NULL, 1, NULL, NULL, 'Tavolo delle linee guida', 'Verbale iniziato', NULL),
  (2, '2025-03-12 09:35:00.000000', 'action.assigned', 1, 2, 1, NULL, NULL, NULL, NULL, 1, 1, 3, 'Inviare le linee guida ai servizi', '', NULL),
  (3, '2025-03-13 09:00:00.000000', 'minutes.circulated', 1, 2, 1, 3, NULL, NULL, NULL, 1, NULL, NULL, 'Tavolo delle linee guida', '', NULL),
  (4, '2025-03-14 10:00:00.000000', 'revision.saved', 1, 2, 1, 1, 3, NULL, NULL, NULL, NULL, NULL, 'Linee guida del Tavolo', 'Premessa: anche i genitori', 22),
  (5, '2025-03-14 11:00:00.000000', 'message.posted', 2, 3, 2, NULL, NULL, 2, 2, NULL, NULL, NULL, 'Il primo incontro', 'Una visita della stanza prima, senza i genitori.', NULL);

INSERT INTO group_visits (user_id, group_id, seen_at, previous_at) VALUES
  (2, 1, '2025-03-14 12:00:00.000000', '2025-03-10 08:00:00.000000');

INSERT INTO weekly_summaries (user_id, enabled, last_sent_at) VALUES
  (2, TRUE, '2025-03-10 06:00:00.000000');
