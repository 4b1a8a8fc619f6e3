-- 0004_drafts_per_editor: now several drafts per person and text, one per editor: Marco has a
-- second tab open on the guidelines; a second text kept after an expired session.

INSERT INTO drafts (id, text_id, user_id, editor_id, section, base_number, body, summary, updated_at) VALUES
  (2, 1, 3, 'e3b1c2d4f5a697887766554433221100', 2, 2, 'Un''ora ogni quindici giorni, concordata con la famiglia e il servizio inviante.', 'Tempi', '2025-02-10 09:00:00.000000');

INSERT INTO pending_saves (id, token, editor_id, text_id, section, base_number, body, summary, created_at) VALUES
  (2, 'c3f9e0b6a1d24e8f9b7c6d5e4f3a2b1c', '0f1e2d3c4b5a69788796a5b4c3d2e1f0', 2, NULL, 1, 'Scheda con il nome del referente del servizio.', 'Referente', '2025-02-10 09:30:00.000000');
