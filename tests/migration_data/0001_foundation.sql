-- 0001_foundation: the network, its people, their profiles, the working groups, invitations.
-- Times are naive UTC, as the app stores them. The password of the people with one is
-- tests.support.PASSWORD (a fast pbkdf2 hash, as the test suite uses).

INSERT INTO services (id, name, district, health_authority, scope, position, created_at, retired_at) VALUES
  (1, 'Spazio neutro del Comune di Rho', 'Rho', '1', 'provincial', 1, '2025-01-07 08:00:00.000000', NULL),
  (2, 'Cooperativa Il Girasole', 'Legnano', '1', 'provincial', 2, '2025-01-07 08:00:00.000000', NULL),
  (3, 'Servizio affidi di Varese', 'Varese', 'Varese', 'extra_provincial', 3, '2025-01-07 08:05:00.000000', '2025-06-30 16:00:00.000000');

INSERT INTO users (id, email, name, password_hash, session_id, active, created_at, last_login_at, previous_login_at) VALUES
  (1, 'giulia.ferri@provincia.milano.it', 'Giulia Ferri', 'pbkdf2:sha256:1000$8BghJu8Tx4ujHwjJ$1829b696f9fae4d29694714662325bc3442ce3798921ce2b48b76a70a0a70a4a', 'sessione-giulia-0000000000000001', TRUE, '2025-01-07 08:00:00.000000', '2025-03-02 07:55:10.120000', '2025-02-27 08:01:00.000000'),
  (2, 'laura.bianchi@comune.rho.mi.it', 'Laura Bianchi', 'pbkdf2:sha256:1000$8BghJu8Tx4ujHwjJ$1829b696f9fae4d29694714662325bc3442ce3798921ce2b48b76a70a0a70a4a', 'sessione-laura-00000000000000002', TRUE, '2025-01-08 09:30:00.000000', '2025-03-03 08:10:00.000000', '2025-01-20 09:00:00.000000'),
  (3, 'marco.rossi@ilgirasole.coop', 'Marco Rossi', 'pbkdf2:sha256:1000$8BghJu8Tx4ujHwjJ$1829b696f9fae4d29694714662325bc3442ce3798921ce2b48b76a70a0a70a4a', 'sessione-marco-00000000000000003', TRUE, '2025-01-08 10:00:00.000000', NULL, NULL),
  (4, 'paola.verdi@affidi.example.it', 'Paola Verdi', 'pbkdf2:sha256:1000$8BghJu8Tx4ujHwjJ$1829b696f9fae4d29694714662325bc3442ce3798921ce2b48b76a70a0a70a4a', 'sessione-paola-00000000000000004', TRUE, '2025-01-09 11:00:00.000000', NULL, NULL),
  (5, 'niccolo.damico@ilgirasole.coop', 'Niccolò D''Amico', NULL, 'sessione-niccolo-000000000000005', FALSE, '2025-01-10 12:00:00.000000', NULL, NULL);

INSERT INTO profiles (user_id, role, service_id, organisation, phone, locale) VALUES
  (1, 'coordinator', NULL, 'Città metropolitana di Milano', '02 7740 1234', 'it'),
  (2, 'operator', 1, NULL, '02 9333 1000', 'it'),
  (3, 'operator', 2, NULL, NULL, 'it'),
  (4, 'external', NULL, 'Coordinamento affidi', NULL, 'en'),
  (5, 'operator', 2, NULL, NULL, 'it');

INSERT INTO groups (id, slug, name, purpose, is_joint, created_at, archived_at) VALUES
  (1, 'linee-guida', 'Linee guida', 'Rivedere le linee guida condivise del Tavolo.', FALSE, '2025-01-10 09:00:00.000000', NULL),
  (2, 'ambientamento', 'Ambientamento', 'Come il bambino si abitua allo Spazio Neutro.', FALSE, '2025-01-10 09:05:00.000000', NULL),
  (3, 'gruppo-ama', 'Gruppo di auto mutuo aiuto', 'Il gruppo dei genitori, con il Coordinamento affidi.', TRUE, '2025-01-10 09:10:00.000000', NULL),
  (4, 'vecchio-tavolo', 'Tavolo 2024', 'Chiuso a fine anno.', FALSE, '2024-02-01 09:00:00.000000', '2025-01-05 10:00:00.000000');

INSERT INTO memberships (id, group_id, user_id, role, created_at, added_by_id) VALUES
  (1, 1, 2, 'lead', '2025-01-10 09:00:00.000000', 1),
  (2, 1, 3, 'member', '2025-01-10 09:01:00.000000', 1),
  (3, 1, 5, 'member', '2025-01-10 09:02:00.000000', 2),
  (4, 2, 3, 'lead', '2025-01-10 09:05:00.000000', 1),
  (5, 2, 2, 'member', '2025-01-10 09:06:00.000000', 3),
  (6, 3, 2, 'lead', '2025-01-10 09:10:00.000000', 1),
  (7, 3, 3, 'member', '2025-01-10 09:11:00.000000', 2),
  (8, 4, 2, 'member', '2024-02-01 09:00:00.000000', NULL);

INSERT INTO invitations (id, email, name, role, service_id, organisation, token_hash, invited_by_id, created_at, expires_at, accepted_at, revoked_at, user_id) VALUES
  (1, 'niccolo.damico@ilgirasole.coop', 'Niccolò D''Amico', 'operator', 2, NULL, '1b4f0e9851971998e732078544c96b36c3d01cedf7caa332359d6f1d83567014', 1, '2025-01-09 15:00:00.000000', '2025-01-23 15:00:00.000000', '2025-01-10 12:00:00.000000', NULL, 5),
  (2, 'chiara.neri@comune.legnano.mi.it', 'Chiara Neri', 'operator', 2, NULL, '60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752', 2, '2025-02-20 10:00:00.000000', '2025-03-06 10:00:00.000000', NULL, NULL, NULL),
  (3, 'ugo.gialli@affidi.example.it', 'Ugo Gialli', 'external', NULL, 'Coordinamento affidi', 'fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13', 1, '2025-02-21 10:00:00.000000', '2025-03-07 10:00:00.000000', NULL, '2025-02-22 08:00:00.000000', NULL);

INSERT INTO invitation_groups (invitation_id, group_id) VALUES
  (1, 1),
  (2, 2),
  (3, 3);

INSERT INTO password_resets (id, user_id, token_hash, created_at, expires_at, used_at) VALUES
  (1, 3, 'a4e624d686e03ed2767c0abd85c14426b0b1157d2ce81d27bb4fe4f6f01d688a', '2025-02-01 18:00:00.000000', '2025-02-01 19:00:00.000000', '2025-02-01 18:04:00.000000');

INSERT INTO login_attempts (id, email, address, at) VALUES
  (1, 'marco.rossi@ilgirasole.coop', '10.0.0.7', '2025-02-01 17:58:00.000000'),
  (2, 'sconosciuto@example.com', '203.0.113.9', '2025-02-02 03:12:00.000000');
