-- 0002_documents: the guidelines with two revisions (a snapshot and a delta against it, as
-- workspace.texts.storage writes them: the payloads and their figures are computed by the
-- test from its texts), a second document, an approval of revision 1, a draft, a text kept
-- after an expired session, someone editing.

INSERT INTO versioned_texts (id, head, created_at) VALUES
  (1, 2, '2025-01-15 10:00:00.000000'),
  (2, 1, '2025-01-16 11:00:00.000000');

INSERT INTO documents (id, group_id, text_id, title, title_key, description, created_by_id, created_at) VALUES
  (1, 1, 1, 'Linee guida del Tavolo', 'linee guida del tavolo', 'Il testo condiviso dai servizi della rete.', 2, '2025-01-15 10:00:00.000000'),
  (2, 2, 2, 'Scheda di ambientamento', 'scheda di ambientamento', '', 3, '2025-01-16 11:00:00.000000');

INSERT INTO revisions (id, text_id, number, author_id, created_at, summary, base_number, restored_from, merged, is_snapshot, snapshot_number, payload, size, size_change, lines_added, lines_removed, changed_sections) VALUES
  (1, 1, 1, 2, '2025-01-15 10:00:00.000000', 'Prima stesura', 0, NULL, FALSE, TRUE, 1, :guidelines_1_payload, :guidelines_1_size, :guidelines_1_size_change, :guidelines_1_added, :guidelines_1_removed, :guidelines_1_sections),
  (2, 1, 2, 3, '2025-02-03 14:20:00.000000', 'Tempi concordati e ambientamento', 1, NULL, FALSE, FALSE, 1, :guidelines_2_payload, :guidelines_2_size, :guidelines_2_size_change, :guidelines_2_added, :guidelines_2_removed, :guidelines_2_sections),
  (3, 2, 1, 3, '2025-01-16 11:00:00.000000', '', 0, NULL, FALSE, TRUE, 1, :scheda_1_payload, :scheda_1_size, :scheda_1_size_change, :scheda_1_added, :scheda_1_removed, :scheda_1_sections);

INSERT INTO approvals (id, document_id, revision_number, approved_by_id, approved_at, note) VALUES
  (1, 1, 1, 1, '2025-01-20 16:00:00.000000', 'Approvata al Tavolo del 20 gennaio.');

INSERT INTO drafts (id, text_id, user_id, section, base_number, body, summary, updated_at) VALUES
  (1, 1, 3, NULL, 2, 'Bozza di Marco: un''ora ogni settimana nei primi tre mesi.', 'Frequenza', '2025-02-04 09:00:00.000000');

INSERT INTO pending_saves (id, token, text_id, section, base_number, body, summary, created_at) VALUES
  (1, 'c3f9e0b6a1d24e8f9b7c6d5e4f3a2b1c', 1, 2, 2, 'Testo inviato a sessione scaduta: un''ora ogni quindici giorni.', '', '2025-02-04 09:30:00.000000');

INSERT INTO presences (id, text_id, user_id, section, seen_at) VALUES
  (1, 1, 2, NULL, '2025-02-04 09:31:00.000000');
