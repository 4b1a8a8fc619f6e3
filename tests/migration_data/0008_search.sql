-- 0008_search: the index entries of the guidelines and of a message (their words are stored
-- by 0008_search.sqlite.sql or 0008_search.postgresql.sql, as each backend keeps them).

INSERT INTO search_entries (id, kind, source_id, group_id, meeting_id, thread_id, number, title, context, body, indexed_at) VALUES
  (1, 'document', 1, 1, NULL, NULL, NULL, 'Linee guida del Tavolo', '', :guidelines_text, '2025-03-15 02:00:00.000000'),
  (2, 'message', 1, 1, NULL, 1, 1, 'Tempi degli incontri', '', 'Propongo un''ora ogni quindici giorni, concordata con la famiglia.', '2025-03-15 02:00:00.000000');
