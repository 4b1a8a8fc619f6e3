-- 0005_line_attribution: revision 3 of the guidelines starts a new chain, a snapshot that
-- keeps the attribution of its lines; revisions 1 and 2 have none (they were stored before).

INSERT INTO revisions (id, text_id, number, author_id, created_at, summary, base_number, restored_from, merged, is_snapshot, snapshot_number, payload, line_keys, size, size_change, lines_added, lines_removed, changed_sections) VALUES
  (4, 1, 3, 2, '2025-02-12 10:00:00.000000', 'Premessa: anche i genitori', 2, NULL, FALSE, TRUE, 3, :guidelines_3_payload, :guidelines_3_keys, :guidelines_3_size, :guidelines_3_size_change, :guidelines_3_added, :guidelines_3_removed, :guidelines_3_sections);

UPDATE versioned_texts SET head = 3 WHERE id = 1;
