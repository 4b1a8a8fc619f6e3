-- 0006_meetings: a meeting of the guidelines group with agenda, attendance, a guest, a
-- decision citing revision 2, two actions and its minutes in view (a document of kind
-- "minutes", with a comment); a monthly joint series of the AMA group with an external
-- participant, one occurrence cancelled; a meeting still to come; a calendar feed.
-- Starts and ends are UTC; a series' times are Rome's wall clock.

INSERT INTO versioned_texts (id, head, created_at) VALUES
  (3, 1, '2025-03-12 11:00:00.000000');

INSERT INTO documents (id, group_id, text_id, title, title_key, description, kind, created_by_id, created_at) VALUES
  (3, 1, 3, 'Verbale: Tavolo delle linee guida, 12 marzo 2025', ' minutes:1', '', 'minutes', 2, '2025-03-12 11:00:00.000000');

INSERT INTO revisions (id, text_id, number, author_id, created_at, summary, base_number, restored_from, merged, is_snapshot, snapshot_number, payload, line_keys, size, size_change, lines_added, lines_removed, changed_sections) VALUES
  (5, 3, 1, 2, '2025-03-12 11:00:00.000000', '', 0, NULL, FALSE, TRUE, 1, :minutes_1_payload, :minutes_1_keys, :minutes_1_size, :minutes_1_size_change, :minutes_1_added, :minutes_1_removed, :minutes_1_sections);

INSERT INTO meeting_series (id, group_id, rule, first_local, created_by_id, created_at) VALUES
  (1, 3, 'FREQ=MONTHLY;BYDAY=2TU;COUNT=6', '2025-01-14 17:30:00.000000', 2, '2025-01-10 09:30:00.000000');

INSERT INTO meetings (id, group_id, series_id, occurrence_local, title, starts_at, ends_at, place, online_url, is_joint, moved, cancelled_at, cancel_reason, sequence, created_by_id, created_at, minutes_document_id, minutes_status, circulated_at, approved_at, approved_by_id, approved_at_meeting_id, approved_revision) VALUES
  (1, 1, NULL, NULL, 'Tavolo delle linee guida', '2025-03-12 08:00:00.000000', '2025-03-12 10:00:00.000000', 'Sala consiliare, Rho', '', FALSE, FALSE, NULL, '', 1, 2, '2025-02-20 09:00:00.000000', 3, 'circulated', '2025-03-13 09:00:00.000000', NULL, NULL, NULL, NULL),
  (2, 3, 1, '2025-01-14 17:30:00.000000', 'Gruppo AMA', '2025-01-14 16:30:00.000000', '2025-01-14 18:00:00.000000', 'Spazio Neutro di Rho', 'https://meet.example.it/ama', TRUE, FALSE, NULL, '', 0, 2, '2025-01-10 09:30:00.000000', NULL, 'draft', NULL, NULL, NULL, NULL, NULL),
  (3, 3, 1, '2025-02-11 17:30:00.000000', 'Gruppo AMA', '2025-02-11 16:30:00.000000', '2025-02-11 18:00:00.000000', 'Spazio Neutro di Rho', 'https://meet.example.it/ama', TRUE, FALSE, '2025-02-01 10:00:00.000000', 'Sala non disponibile.', 1, 2, '2025-01-10 09:30:00.000000', NULL, 'draft', NULL, NULL, NULL, NULL, NULL),
  (4, 1, NULL, NULL, 'Tavolo delle linee guida: approvazione', '2031-03-11 08:00:00.000000', '2031-03-11 10:00:00.000000', 'Sala consiliare, Rho', '', FALSE, FALSE, NULL, '', 0, 2, '2025-03-13 09:00:00.000000', NULL, 'draft', NULL, NULL, NULL, NULL, NULL);

INSERT INTO agenda_items (id, meeting_id, position, title, owner_id, duration_minutes, added_by_id, created_at, carried_to_id, carried_from_id) VALUES
  (1, 1, 1, 'Tempi degli incontri', 3, 30, 2, '2025-02-20 09:00:00.000000', NULL, NULL),
  (2, 1, 2, 'Ambientamento', 2, 20, 2, '2025-02-20 09:01:00.000000', NULL, NULL),
  (3, 2, 1, 'Accoglienza delle nuove famiglie', 2, NULL, 2, '2025-01-10 09:31:00.000000', NULL, NULL),
  (4, 4, 1, 'Approvazione del verbale del 12 marzo', NULL, 10, 2, '2025-03-13 09:00:00.000000', NULL, NULL);

INSERT INTO meeting_participants (id, meeting_id, user_id, attendance) VALUES
  (1, 1, 2, 'present'),
  (2, 1, 3, 'excused'),
  (3, 1, 5, 'absent'),
  (4, 2, 2, 'present'),
  (5, 2, 3, 'present'),
  (6, 2, 4, 'present'),
  (7, 4, 2, 'invited'),
  (8, 4, 3, 'invited');

INSERT INTO meeting_guests (id, meeting_id, name, organisation) VALUES
  (1, 1, 'Elena Galli', 'ASL Milano 1');

INSERT INTO decisions (id, meeting_id, item_id, text, document_id, revision_number, created_by_id, created_at) VALUES
  (1, 1, 1, 'Adottati i tempi della versione 2 delle linee guida.', 1, 2, 2, '2025-03-12 09:30:00.000000');

INSERT INTO action_items (id, meeting_id, group_id, item_id, title, owner_id, due_on, status, closed_at, closed_by_id, closing_note, created_by_id, created_at) VALUES
  (1, 1, 1, 1, 'Inviare le linee guida ai servizi', 3, '2025-04-01', 'open', NULL, NULL, '', 2, '2025-03-12 09:35:00.000000'),
  (2, 1, 1, 2, 'Raccogliere le schede di ambientamento', 2, NULL, 'done', '2025-03-20 10:00:00.000000', 2, 'Raccolte dodici schede.', 2, '2025-03-12 09:40:00.000000');

INSERT INTO minutes_comments (id, meeting_id, author_id, body, created_at) VALUES
  (1, 1, 3, 'Ero assente giustificato, non assente.', '2025-03-13 15:00:00.000000');

INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES
  (2, '3f1a9c0e5d7b2468ace0f13579bdf02468ace13579bdf02468ace13579bdf024', '2025-03-01 10:00:00.000000');
