-- Ferry sample CRM: LOCAL database (generated, see README.md)
-- Apply after schema.sql:  sqlite3 local.db < schema.sql && sqlite3 local.db < local.sql
-- Rows are listed parents first, so they insert cleanly with foreign keys enforced.
PRAGMA foreign_keys = ON;
BEGIN TRANSACTION;

-- roles (6)
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu2dszk00001k3v9fknxp79c', 'admin', 'Full access to every resource and setting', '2026-09-15T08:00:00.000Z');
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu2dszk00002k3v9482btodl', 'manager', 'Manages a sales team, its customers and proposals', '2026-09-15T08:00:00.000Z');
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu2dszk00003k3v9chgpdk1e', 'sales', 'Account executive: owns customers and proposals', '2026-09-15T08:00:00.000Z');
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu2dszk00004k3v9zfgusbno', 'support', 'Customer support: reads customers, edits content', '2026-09-15T08:00:00.000Z');
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu2dszk00005k3v9w3sov76v', 'marketing', 'Creates and publishes content and reports', '2026-09-15T08:00:00.000Z');
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu2dszk00006k3v9obrbxi3v', 'viewer', NULL, '2026-09-15T08:00:00.000Z');

-- users (10)
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu2dzf1c0007k3v9s1fsxs8u', 'olivia.bennett@example.com', 'Olivia Bennett', 'cmu2dszk00001k3v9fknxp79c', 1, '2026-09-15T08:05:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu2e1chc0008k3v9hef5ccd3', 'marcus.reid@example.com', 'Marcus Reid', 'cmu2dszk00002k3v9482btodl', 1, '2026-09-15T08:06:30.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu3xylc00009k3v9lds7nk59', 'zoe.mueller@example.com', 'Zoë Müller', 'cmu2dszk00003k3v9chgpdk1e', 1, '2026-09-16T10:12:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu3y24nc000ak3v9stvxnvgy', 'daniel.okafor@example.com', 'Daniel Okafor', 'cmu2dszk00003k3v9chgpdk1e', 1, '2026-09-16T10:14:45.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu5k47pc000bk3v9z9cns3te', 'priya.raman@example.com', 'Priya Raman', 'cmu2dszk00003k3v9chgpdk1e', 1, '2026-09-17T13:20:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu6q9pc0000ck3v9ey3wos84', 'lucas.moreau@example.com', 'Lucas Moreau', 'cmu2dszk00004k3v9zfgusbno', 1, '2026-09-18T09:00:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu6qchn4000dk3v9ebuzjebc', 'hannah.kim@example.com', 'Hannah Kim', 'cmu2dszk00005k3v9w3sov76v', 1, '2026-09-18T09:02:10.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu8k6e00000ek3v9xmnyzdy9', 'tomas.novak@example.com', 'Tomáš Novák', 'cmu2dszk00005k3v9w3sov76v', 1, '2026-09-19T15:45:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmucle0g0000fk3v9ha6tubbb', 'grace.liu@example.com', 'Grace Liu', 'cmu2dszk00006k3v9obrbxi3v', 1, '2026-09-22T11:30:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmueaty2o000gk3v98ykpg2ee', 'sam.porter@example.com', 'Sam Porter', 'cmu2dszk00003k3v9chgpdk1e', 0, '2026-09-23T16:10:00.000Z');

-- permissions (61)
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000hk3v91p2dz9u9', 'customers', 'create', 'own', 'Create customers: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000ik3v9yt6wwlkt', 'customers', 'create', 'team', 'Create customers: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000jk3v9iiypcnfl', 'customers', 'create', 'all', 'Create customers: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000kk3v90kcs7qv9', 'customers', 'read', 'own', 'Read customers: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000lk3v9yln89mha', 'customers', 'read', 'team', 'Read customers: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000mk3v91o97angs', 'customers', 'read', 'all', 'Read customers: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000nk3v9da5u68al', 'customers', 'update', 'own', 'Update customers: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000ok3v9gr0wj9hp', 'customers', 'update', 'team', 'Update customers: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000pk3v91c89hjsa', 'customers', 'update', 'all', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000qk3v90sb6971b', 'customers', 'delete', 'own', 'Delete customers: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000rk3v93sqfkwxe', 'customers', 'delete', 'team', 'Delete customers: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000sk3v9f3n6v39y', 'customers', 'delete', 'all', 'Delete customers: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000tk3v91mbqspdj', 'customers', 'export', 'team', 'Export customers: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000uk3v9mvsj47zk', 'customers', 'export', 'all', 'Export customers: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000vk3v9p7ko85hj', 'proposals', 'create', 'own', 'Create proposals: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000wk3v96v60duv8', 'proposals', 'create', 'team', 'Create proposals: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000xk3v9z5lj9t64', 'proposals', 'create', 'all', 'Create proposals: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000yk3v9iz6kb5mp', 'proposals', 'read', 'own', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0000zk3v94ljtw9h8', 'proposals', 'read', 'team', 'Read proposals: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00010k3v93pnfuac5', 'proposals', 'read', 'all', 'Read proposals: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00011k3v9nwdnymn2', 'proposals', 'update', 'own', 'Update proposals: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00012k3v9l4zjgjum', 'proposals', 'update', 'team', 'Update proposals: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00013k3v9mr1bljta', 'proposals', 'update', 'all', 'Update proposals: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00014k3v94hbt7g4z', 'proposals', 'delete', 'own', 'Delete proposals: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00015k3v9ozmei1vh', 'proposals', 'delete', 'team', 'Delete proposals: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00016k3v9e3y0pyf9', 'proposals', 'delete', 'all', 'Delete proposals: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00017k3v9p2376sfm', 'proposals', 'export', 'team', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00018k3v9l981k9es', 'proposals', 'export', 'all', 'Export proposals: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00019k3v9jqxtk3le', 'content', 'create', 'own', 'Create content: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001ak3v9rwvlv588', 'content', 'create', 'team', 'Create content: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001bk3v96jexl2xa', 'content', 'create', 'all', 'Create content: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001ck3v9rx3oubk9', 'content', 'read', 'own', 'Read content: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001dk3v9pe189gg9', 'content', 'read', 'team', 'Read content: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001ek3v9lrir1jqn', 'content', 'read', 'all', 'Read content: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001fk3v95smcx4au', 'content', 'update', 'own', 'Update content: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001gk3v9pzea5kn6', 'content', 'update', 'team', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001hk3v9lqi0l0i6', 'content', 'update', 'all', 'Update content: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001ik3v9gx725cya', 'content', 'delete', 'own', 'Delete content: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001jk3v9y3nncwgc', 'content', 'delete', 'team', 'Delete content: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001kk3v9v90y5wok', 'content', 'delete', 'all', 'Delete content: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001lk3v9jd7e0i8q', 'products', 'create', 'all', 'Create products: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001mk3v9qk5znfci', 'products', 'read', 'all', 'Read products: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001nk3v98zx9hcvh', 'products', 'update', 'all', 'Update products: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001ok3v9qhhtyp7u', 'products', 'delete', 'all', 'Delete products: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001pk3v9td8m2fmg', 'products', 'export', 'all', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001qk3v9v6120e30', 'users', 'create', 'all', 'Create users: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001rk3v9hxx3lq2v', 'users', 'read', 'all', 'Read users: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001sk3v9gl38rhi4', 'users', 'update', 'all', 'Update users: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001tk3v9l4ddvn54', 'users', 'delete', 'all', 'Delete users: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001uk3v9t0zzqerx', 'users', 'read', 'team', 'Read users: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001vk3v9qs6k4eon', 'users', 'read', 'own', 'Read users: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001wk3v97dnx5nci', 'users', 'update', 'own', 'Update users: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001xk3v9r0isb6ls', 'roles', 'create', 'all', 'Create roles: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001yk3v969z2twxm', 'roles', 'read', 'all', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk0001zk3v9lp6y7avu', 'roles', 'update', 'all', 'Update roles: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00020k3v9v5polotv', 'roles', 'delete', 'all', 'Delete roles: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00021k3v9j0al55i2', 'reports', 'read', 'team', 'Read reports: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00022k3v9nt67lfbq', 'reports', 'read', 'all', 'Read reports: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00023k3v9y44uzlpb', 'reports', 'export', 'all', 'Export reports: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00024k3v9ilwu7jur', 'settings', 'read', 'all', 'Read settings: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu2dszk00025k3v9csta0gmp', 'settings', 'update', 'all', 'Update settings: all records');

-- products (6)
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu2evkg00026k3v9di7ivbo1', 'CRM-STARTER-M', 'CRM Starter (monthly)', 49.99, 0, '2026-09-15T08:30:00.000Z');
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu2evl7s0027k3v95ifs77a6', 'CRM-PRO-M', 'CRM Professional (monthly)', 149.0, 0, '2026-09-15T08:30:01.000Z');
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu2evlzk0028k3v9nqsiomsq', 'CRM-ENT-Y', 'CRM Enterprise (annual)', 12000.0, 0, '2026-09-15T08:30:02.000Z');
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu2ewuqo0029k3v9ht91f2bh', 'ONB-PKG-STD', 'Onboarding package – standard', 2500.0, 25, '2026-09-15T08:31:00.000Z');
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu2ey51c002ak3v974gcrux7', 'HW-TABLET-10', 'Field sales tablet 10"', 329.5, 40, '2026-09-15T08:32:00.000Z');
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu9rkw00002bk3v934v9v31n', 'TRN-SEAT-1D', 'Training seat, 1 day', 450.0, 120, '2026-09-20T12:00:00.000Z');

-- customers (5)
INSERT INTO "customers" ("id", "cloudId", "email", "company", "name", "phone", "createdBy", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmupc2cw0002ck3v9yxz2qqk3', NULL, 'contact@testcompanyxyz.com', 'Test Company XYZ', 'Jordan Blake', '+1 555 0100', 'cmu3xylc00009k3v9lds7nk59', NULL, 'pending', '2026-10-01T09:30:00.000Z');
INSERT INTO "customers" ("id", "cloudId", "email", "company", "name", "phone", "createdBy", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmupfgj1c002dk3v9qvf1eju1', NULL, 'procurement@acme-logistics.example.com', 'Acme Logistics GmbH', 'Anna Schmidt', '+49 30 5550 1234', 'cmu3y24nc000ak3v9stvxnvgy', NULL, 'pending', '2026-10-01T11:05:00.000Z');
INSERT INTO "customers" ("id", "cloudId", "email", "company", "name", "phone", "createdBy", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmur2kveo002ek3v9x13ssn0y', NULL, NULL, 'Nordlicht Café & Bäckerei', 'Jörg Østergaard', '+45 3312 3456', 'cmu3xylc00009k3v9lds7nk59', NULL, 'pending', '2026-10-02T14:40:00.000Z');
INSERT INTO "customers" ("id", "cloudId", "email", "company", "name", "phone", "createdBy", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmus49m00002fk3v9i82jx9vm', NULL, 'office@blueharbordental.example.com', 'Blue Harbor Dental', 'Dr. Maya Chen', NULL, 'cmu5k47pc000bk3v9z9cns3te', NULL, 'pending', '2026-10-03T08:15:00.000Z');
INSERT INTO "customers" ("id", "cloudId", "email", "company", "name", "phone", "createdBy", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmuvhjlxc002gk3v9l7vqp7ps', NULL, 'info@pinecrest-realty.example.com', 'Pinecrest Realty', 'Ethan Walsh', '+1 555 0177', 'cmu2e1chc0008k3v9hef5ccd3', NULL, 'pending', '2026-10-05T16:50:00.000Z');

-- proposals (5)
INSERT INTO "proposals" ("id", "cloudId", "title", "type", "customerId", "productId", "createdBy", "amount", "status", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmuqsksg0002hk3v937tsn493', NULL, 'Annual CRM rollout', 'quote', 'cmupc2cw0002ck3v9yxz2qqk3', 'cmu2evlzk0028k3v9nqsiomsq', 'cmu3xylc00009k3v9lds7nk59', 12500.0, 'sent', NULL, 'pending', '2026-10-02T10:00:00.000Z');
INSERT INTO "proposals" ("id", "cloudId", "title", "type", "customerId", "productId", "createdBy", "amount", "status", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmus7hco0002ik3v9kfrh0f8q', NULL, 'Fleet tablets Q4', 'quote', 'cmupfgj1c002dk3v9qvf1eju1', 'cmu2ey51c002ak3v974gcrux7', 'cmu3y24nc000ak3v9stvxnvgy', 6590.0, 'draft', NULL, 'pending', '2026-10-03T09:45:00.000Z');
INSERT INTO "proposals" ("id", "cloudId", "title", "type", "customerId", "productId", "createdBy", "amount", "status", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmuwtrpxc002jk3v9mvh0jyky', NULL, 'Annual CRM rollout', 'contract', 'cmupc2cw0002ck3v9yxz2qqk3', 'cmu2evlzk0028k3v9nqsiomsq', 'cmu2e1chc0008k3v9hef5ccd3', 12000.0, 'accepted', NULL, 'pending', '2026-10-06T15:20:00.000Z');
INSERT INTO "proposals" ("id", "cloudId", "title", "type", "customerId", "productId", "createdBy", "amount", "status", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmuy0a2io002kk3v9o3z9uevj', NULL, 'Staff onboarding', 'quote', 'cmus49m00002fk3v9i82jx9vm', 'cmu2ewuqo0029k3v9ht91f2bh', 'cmu5k47pc000bk3v9z9cns3te', 2500.0, 'draft', NULL, 'pending', '2026-10-07T11:10:00.000Z');
INSERT INTO "proposals" ("id", "cloudId", "title", "type", "customerId", "productId", "createdBy", "amount", "status", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmuzjnds0002lk3v95g2d9xf4', NULL, 'Loyalty program pilot', 'proposal', 'cmur2kveo002ek3v9x13ssn0y', NULL, 'cmu3xylc00009k3v9lds7nk59', NULL, 'draft', NULL, 'pending', '2026-10-08T13:00:00.000Z');

-- content (5). "Discovery Call Script" was written before the "Sales Playbook" folder existed and
-- was moved into it later, so its id sorts BEFORE its parent's id (a child that must not be
-- applied in primary-key order).
INSERT INTO "content" ("id", "cloudId", "title", "type", "body", "createdBy", "parentId", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmutj6680002mk3v9m0wxjn9r', NULL, 'Sales Playbook', 'folder', NULL, 'cmu2e1chc0008k3v9hef5ccd3', NULL, NULL, 'pending', '2026-10-04T08:00:00.000Z');
INSERT INTO "content" ("id", "cloudId", "title", "type", "body", "createdBy", "parentId", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmupdunpc002nk3v9mrtn33up', NULL, 'Discovery Call Script', 'template', '1. Introduce yourself and the agenda
2. Ask about current tools
3. Agree on next steps', 'cmu3xylc00009k3v9lds7nk59', 'cmutj6680002mk3v9m0wxjn9r', NULL, 'pending', '2026-10-01T10:20:00.000Z');
INSERT INTO "content" ("id", "cloudId", "title", "type", "body", "createdBy", "parentId", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmuv76o00002ok3v99idi9014', NULL, 'Pricing FAQ', 'article', 'Q: Is there a discount for annual billing?
A: Yes — two months free. 🎉', 'cmu6qchn4000dk3v9ebuzjebc', 'cmutj6680002mk3v9m0wxjn9r', NULL, 'pending', '2026-10-05T12:00:00.000Z');
INSERT INTO "content" ("id", "cloudId", "title", "type", "body", "createdBy", "parentId", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmuwg71c0002pk3v9pa8ycaqa', NULL, 'October Newsletter', 'article', 'Hallo zusammen! Neues aus dem Produktteam: Berichte, Exporte und mehr.', 'cmu8k6e00000ek3v9xmnyzdy9', NULL, NULL, 'pending', '2026-10-06T09:00:00.000Z');
INSERT INTO "content" ("id", "cloudId", "title", "type", "body", "createdBy", "parentId", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmuwyewg0002qk3v9dwjy7jux', NULL, 'Pricing FAQ', 'note', 'Check the € prices with finance before publishing.', 'cmu6qchn4000dk3v9ebuzjebc', 'cmuv76o00002ok3v99idi9014', NULL, 'pending', '2026-10-06T17:30:00.000Z');

COMMIT;
