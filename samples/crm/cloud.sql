-- Ferry sample CRM: CLOUD database (generated, see README.md)
-- Apply after schema.sql:  sqlite3 cloud.db < schema.sql && sqlite3 cloud.db < cloud.sql
-- Rows are listed parents first, so they insert cleanly with foreign keys enforced.
PRAGMA foreign_keys = ON;
BEGIN TRANSACTION;

-- roles (6)
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu6o4n6v00xdw8qzryrvubgo', 'admin', 'Full access to every resource and setting', '2026-09-15T08:00:00.000Z');
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu6o4n6v00xew8qzrem192e2', 'manager', 'Manages a sales team, its customers and proposals', '2026-09-15T08:00:00.000Z');
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu6o4n6v00xfw8qzs2ptqejh', 'sales', 'Account executive: owns customers and proposals', '2026-09-15T08:00:00.000Z');
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu6o4n6v00xgw8qzqqahsu4w', 'support', 'Customer support: reads customers, edits content', '2026-09-15T08:00:00.000Z');
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu6o4n6v00xhw8qz0njgatfb', 'marketing', 'Creates and publishes content and reports', '2026-09-15T08:00:00.000Z');
INSERT INTO "roles" ("id", "name", "description", "createdAt") VALUES ('cmu6o4n6v00xiw8qzzkqyqn3q', 'viewer', NULL, '2026-09-15T08:00:00.000Z');

-- users (10)
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu6ob2o700xjw8qz3wsprs6d', 'olivia.bennett@example.com', 'Olivia Bennett', 'cmu6o4n6v00xdw8qzryrvubgo', 1, '2026-09-15T08:05:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu6od04700xkw8qzrlit338b', 'marcus.reid@example.com', 'Marcus Reid', 'cmu6o4n6v00xew8qzrem192e2', 1, '2026-09-15T08:06:30.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu88a8yv00xlw8qz6a9hnqt0', 'zoe.mueller@example.com', 'Zoë Müller', 'cmu6o4n6v00xfw8qzs2ptqejh', 1, '2026-09-16T10:12:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu88dsa700xmw8qzdr8sac7k', 'daniel.okafor@example.com', 'Daniel Okafor', 'cmu6o4n6v00xfw8qzs2ptqejh', 1, '2026-09-16T10:14:45.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmu9ufvc700xnw8qz60cyaoem', 'priya.raman@example.com', 'Priya Raman', 'cmu6o4n6v00xfw8qzs2ptqejh', 1, '2026-09-17T13:20:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmub0lcyv00xow8qz4uu9npsi', 'lucas.moreau@example.com', 'Lucas Moreau', 'cmu6o4n6v00xgw8qzqqahsu4w', 1, '2026-09-18T09:00:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmub0o59z00xpw8qzjrskeylz', 'hannah.kim@example.com', 'Hannah Kim', 'cmu6o4n6v00xhw8qz0njgatfb', 1, '2026-09-18T09:02:10.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmucui1mv00xqw8qzgiu2psa5', 'tomas.novak@example.com', 'Tomáš Novák', 'cmu6o4n6v00xhw8qz0njgatfb', 1, '2026-09-19T15:45:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmugvpo2v00xrw8qzryydultd', 'grace.liu@example.com', 'Grace Liu', 'cmu6o4n6v00xiw8qzzkqyqn3q', 1, '2026-09-22T11:30:00.000Z');
INSERT INTO "users" ("id", "email", "name", "roleId", "isActive", "createdAt") VALUES ('cmuil5lpj00xsw8qzcj67hcbp', 'sam.porter@example.com', 'Sam Porter', 'cmu6o4n6v00xfw8qzs2ptqejh', 0, '2026-09-23T16:10:00.000Z');

-- permissions (61)
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00xtw8qztrdj9n9r', 'customers', 'create', 'own', 'Create customers: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00xuw8qzmtj2lfd6', 'customers', 'create', 'team', 'Create customers: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00xvw8qz6xwj9s0f', 'customers', 'create', 'all', 'Create customers: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00xww8qznkqv7q9n', 'customers', 'read', 'own', 'Read customers: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00xxw8qzvxfywiwu', 'customers', 'read', 'team', 'Read customers: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00xyw8qz22vw3jvv', 'customers', 'read', 'all', 'Read customers: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00xzw8qzpxhfkw4b', 'customers', 'update', 'own', 'Update customers: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00y0w8qzs283ee82', 'customers', 'update', 'team', 'Update customers: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00y1w8qzcm2v11o5', 'customers', 'update', 'all', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00y2w8qzx1om4ctm', 'customers', 'delete', 'own', 'Delete customers: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00y3w8qz2z3h25di', 'customers', 'delete', 'team', 'Delete customers: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00y4w8qz4sattn5g', 'customers', 'delete', 'all', 'Delete customers: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00y5w8qz1i4yo71k', 'customers', 'export', 'team', 'Export customers: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00y6w8qz44c1nhvb', 'customers', 'export', 'all', 'Export customers: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00y7w8qzcs691suy', 'proposals', 'create', 'own', 'Create proposals: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00y8w8qzz230znlw', 'proposals', 'create', 'team', 'Create proposals: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00y9w8qz7efgaf3j', 'proposals', 'create', 'all', 'Create proposals: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yaw8qze3xpbjx8', 'proposals', 'read', 'own', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ybw8qzww2qct7m', 'proposals', 'read', 'team', 'Read proposals: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ycw8qz1nh1fdtg', 'proposals', 'read', 'all', 'Read proposals: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ydw8qzzae5wjsk', 'proposals', 'update', 'own', 'Update proposals: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yew8qzdfktdoga', 'proposals', 'update', 'team', 'Update proposals: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yfw8qzq9ctt0rz', 'proposals', 'update', 'all', 'Update proposals: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ygw8qzjzfejf1j', 'proposals', 'delete', 'own', 'Delete proposals: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yhw8qzg4aheyvp', 'proposals', 'delete', 'team', 'Delete proposals: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yiw8qz9y8c42dh', 'proposals', 'delete', 'all', 'Delete proposals: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yjw8qzwo2c5xud', 'proposals', 'export', 'team', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ykw8qz339h9rpk', 'proposals', 'export', 'all', 'Export proposals: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ylw8qzgbbhox03', 'content', 'create', 'own', 'Create content: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ymw8qzkjn50dpt', 'content', 'create', 'team', 'Create content: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ynw8qz0vgn7gn2', 'content', 'create', 'all', 'Create content: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yow8qzvpfca6ra', 'content', 'read', 'own', 'Read content: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ypw8qzf32e2hl4', 'content', 'read', 'team', 'Read content: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yqw8qzi4v88yf7', 'content', 'read', 'all', 'Read content: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yrw8qz5jrkyaiw', 'content', 'update', 'own', 'Update content: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ysw8qzreaodtdy', 'content', 'update', 'team', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00ytw8qz044r9ou3', 'content', 'update', 'all', 'Update content: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yuw8qzyw4gjxgj', 'content', 'delete', 'own', 'Delete content: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yvw8qzbo1cl6s5', 'content', 'delete', 'team', 'Delete content: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yww8qzq499dqpq', 'content', 'delete', 'all', 'Delete content: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yxw8qzrj4zalbh', 'products', 'create', 'all', 'Create products: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yyw8qzj0cetyzz', 'products', 'read', 'all', 'Read products: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00yzw8qzi3td3fxc', 'products', 'update', 'all', 'Update products: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00z0w8qzuj2ujdf4', 'products', 'delete', 'all', 'Delete products: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00z1w8qzze2oygv5', 'products', 'export', 'all', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00z2w8qzz0ropuae', 'users', 'create', 'all', 'Create users: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00z3w8qz88fb8pi4', 'users', 'read', 'all', 'Read users: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00z4w8qzej0qix05', 'users', 'update', 'all', 'Update users: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00z5w8qzfh4l00uv', 'users', 'delete', 'all', 'Delete users: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00z6w8qztqzeht8k', 'users', 'read', 'team', 'Read users: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00z7w8qzm4u3ldr6', 'users', 'read', 'own', 'Read users: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00z8w8qzw1q1mn9f', 'users', 'update', 'own', 'Update users: own records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00z9w8qzht0ibeyb', 'roles', 'create', 'all', 'Create roles: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00zaw8qzb7jhr8dy', 'roles', 'read', 'all', NULL);
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00zbw8qzl8aoc7my', 'roles', 'update', 'all', 'Update roles: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00zcw8qz7shr1gq7', 'roles', 'delete', 'all', 'Delete roles: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00zdw8qzvqcxxbsd', 'reports', 'read', 'team', 'Read reports: the team''s records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00zew8qzhc84redd', 'reports', 'read', 'all', 'Read reports: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00zfw8qzq16r81wx', 'reports', 'export', 'all', 'Export reports: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00zgw8qzjwwnuo1x', 'settings', 'read', 'all', 'Read settings: all records');
INSERT INTO "permissions" ("id", "resource", "action", "scope", "description") VALUES ('cmu6o4n6v00zhw8qz0qtv2ooz', 'settings', 'update', 'all', 'Update settings: all records');

-- products (6)
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu6p782v00ziw8qz2za3h0vp', 'CRM-STARTER-M', 'CRM Starter (monthly)', 49.99, 0, '2026-09-15T08:30:00.000Z');
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu6p78un00zjw8qzvik5184o', 'CRM-PRO-M', 'CRM Professional (monthly)', 149.0, 0, '2026-09-15T08:30:01.000Z');
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu6p79mf00zkw8qzg1gh9bdm', 'CRM-ENT-Y', 'CRM Enterprise (annual)', 12000.0, 0, '2026-09-15T08:30:02.000Z');
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu6p8idj00zlw8qzeb165elw', 'ONB-PKG-STD', 'Onboarding package – standard', 2500.0, 25, '2026-09-15T08:31:00.000Z');
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmu6p9so700zmw8qzzvi55fde', 'HW-TABLET-10', 'Field sales tablet 10"', 329.5, 40, '2026-09-15T08:32:00.000Z');
INSERT INTO "products" ("id", "sku", "name", "price", "stock", "createdAt") VALUES ('cmue1wjmv00znw8qz5y879sry', 'TRN-SEAT-1D', 'Training seat, 1 day', 450.0, 120, '2026-09-20T12:00:00.000Z');

-- customers (1)
INSERT INTO "customers" ("id", "cloudId", "email", "company", "name", "phone", "createdBy", "lastSyncedAt", "syncStatus", "createdAt") VALUES ('cmutps6o700zow8qzz6o4nz4x', NULL, 'procurement@acme-logistics.example.com', 'Acme Logistics GmbH', 'Anna Schmidt', '+49 30 5550 1234', 'cmu88dsa700xmw8qzdr8sac7k', NULL, 'pending', '2026-10-01T11:05:00.000Z');

-- proposals (0)

-- content (0)

COMMIT;
