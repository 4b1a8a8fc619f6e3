-- 0003_discussions: a pinned thread about a section of the guidelines (a reply quoting the
-- first message, edited once, a withdrawn message, a file stored in the database), a resolved
-- thread, who read how far, who follows or mutes what, a mention, mail preferences.

INSERT INTO mail_preferences (user_id, mode, token, last_digest_at) VALUES
  (2, 'daily', 'preferenze-laura-5b0c8e1f2a3d4c6b', '2025-02-05 06:00:00.000000'),
  (3, 'immediate', 'preferenze-marco-9d8c7b6a5f4e3d2c', NULL);

INSERT INTO threads (id, group_id, title, created_by_id, created_at, last_activity_at, last_number, pinned, locked, resolved_number, resolved_by_id, document_id, section_anchor, section_title) VALUES
  (1, 1, 'Tempi degli incontri', 3, '2025-02-03 15:00:00.000000', '2025-02-04 10:00:00.000000', 3, TRUE, FALSE, NULL, NULL, 1, 'tempi', 'Tempi'),
  (2, 2, 'Il primo incontro', 2, '2025-02-05 09:00:00.000000', '2025-02-05 11:00:00.000000', 2, FALSE, FALSE, 2, 3, NULL, NULL, NULL);

INSERT INTO messages (id, thread_id, number, author_id, body, html, created_at, edited_at, withdrawn_at, quoted_id, client_token) VALUES
  (1, 1, 1, 3, 'Propongo un''ora ogni quindici giorni, concordata con la famiglia.', '<p>Propongo un’ora ogni quindici giorni, concordata con la famiglia.</p>', '2025-02-03 15:00:00.000000', NULL, NULL, NULL, 'modulo-marco-0001'),
  (2, 1, 2, 2, '@Marco Rossi d''accordo: lo scrivo nelle linee guida.', '<p><span class="mention">@Marco Rossi</span> d’accordo: lo scrivo nelle linee guida.</p>', '2025-02-03 16:00:00.000000', '2025-02-03 16:05:00.000000', NULL, 1, 'modulo-laura-0001'),
  (3, 1, 3, 5, 'Messaggio ritirato dal suo autore.', '<p>Messaggio ritirato dal suo autore.</p>', '2025-02-04 10:00:00.000000', NULL, '2025-02-04 10:02:00.000000', NULL, NULL),
  (4, 2, 1, 2, 'Come organizziamo il primo incontro con il bambino?', '<p>Come organizziamo il primo incontro con il bambino?</p>', '2025-02-05 09:00:00.000000', NULL, NULL, NULL, 'modulo-laura-0002'),
  (5, 2, 2, 3, 'Una visita della stanza prima, senza i genitori. Allego la locandina.', '<p>Una visita della stanza prima, senza i genitori. Allego la locandina.</p>', '2025-02-05 11:00:00.000000', NULL, NULL, 4, 'modulo-marco-0002');

INSERT INTO message_versions (id, message_id, body, html, written_at, replaced_at) VALUES
  (1, 2, '@Marco Rossi d''accordo.', '<p><span class="mention">@Marco Rossi</span> d’accordo.</p>', '2025-02-03 16:00:00.000000', '2025-02-03 16:05:00.000000');

INSERT INTO attachments (id, message_id, uploaded_by_id, filename, content_type, size, sha256, data, storage_path, created_at) VALUES
  (1, 5, 3, 'locandina.png', 'image/png', :png_size, :png_sha256, :png, NULL, '2025-02-05 11:00:00.000000');

INSERT INTO thread_reads (id, thread_id, user_id, last_read_number, updated_at) VALUES
  (1, 1, 2, 3, '2025-02-04 10:05:00.000000'),
  (2, 1, 3, 2, '2025-02-03 16:10:00.000000'),
  (3, 2, 2, 1, '2025-02-05 09:00:00.000000');

INSERT INTO subscriptions (id, user_id, target, target_id, state, created_at) VALUES
  (1, 3, 'thread', 1, 'follow', '2025-02-03 15:00:00.000000'),
  (2, 2, 'group', 2, 'mute', '2025-02-05 08:00:00.000000');

INSERT INTO notifications (id, user_id, kind, group_id, actor_id, title, excerpt, url, source, created_at, read_at, emailed_at) VALUES
  (1, 3, 'mention', 1, 2, 'Laura Bianchi ti ha menzionato in «Tempi degli incontri»', 'd’accordo: lo scrivo nelle linee guida.', '/gruppi/linee-guida/discussioni/1#messaggio-2', 'message:2', '2025-02-03 16:00:00.000000', NULL, '2025-02-03 16:01:00.000000'),
  (2, 2, 'reply', 2, 3, 'Marco Rossi ha risposto in «Il primo incontro»', 'Una visita della stanza prima, senza i genitori.', '/gruppi/ambientamento/discussioni/2#messaggio-2', 'message:5', '2025-02-05 11:00:00.000000', '2025-02-05 12:00:00.000000', NULL);
