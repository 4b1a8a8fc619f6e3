-- 0009_audit: two entries of the log, chained as workspace.audit.chain computes them (the
-- hashes are of exactly these fields; `flask audit-verify` at the head checks them), and the
-- chain head, which the migration created, moved to the second.

INSERT INTO audit_entries (id, created_at, actor_id, actor_label, action, target_type, target_id, target_label, detail, address, prev_hash, hash) VALUES
  (1, '2025-03-12 07:00:00.123456', 1, 'giulia.ferri@provincia.milano.it', 'auth.login', 'user', 1, 'Giulia Ferri', '', '10.0.0.1', '0000000000000000000000000000000000000000000000000000000000000000', '3eb51efaf4edabacf05648e021c915c8dd742702524d468aba48c8291b3fe391'),
  (2, '2025-03-12 07:05:30.654321', 1, 'giulia.ferri@provincia.milano.it', 'service.retired', 'service', 3, 'Servizio affidi di Varese (Varese)', '', '10.0.0.1', '3eb51efaf4edabacf05648e021c915c8dd742702524d468aba48c8291b3fe391', '188b678dbce653a44e943c7f8836a758b28b028d4e569efb3a69467e91a37299');

UPDATE audit_chain_head
   SET hash = '188b678dbce653a44e943c7f8836a758b28b028d4e569efb3a69467e91a37299', entry_id = 2, updated_at = '2025-03-12 07:05:30.654321'
 WHERE id = 1;
