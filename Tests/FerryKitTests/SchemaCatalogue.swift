import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres
@testable import FerryStores

/// How the reconcile test recognises the rows of one table without Ferry's help: a query
/// returning, for every row, `key` (the natural identity, parents named through their own
/// identities, never their ids), `content` (the values a source-wins import must bring
/// over) and `id` (the row's own key on that side, which a reconcile must keep).
struct Identity: Sendable {
    var table: String
    var sql: String
    init(_ table: String, _ sql: String) {
        self.table = table
        self.sql = sql
    }
}

/// A query whose rows must be the same on the source and the target (a view, a full-text
/// search). `requires` names the object it reads: the replay runs it only when the replayed
/// file has that object (views and FTS5 tables are not data, so a replay may leave them out).
struct SameResult: Sendable {
    var requires: String?
    var sql: String
}

/// One real schema shape (issue 14): the source database, and how a target holding the
/// same logical rows under other ids is made from a copy of it.
struct SchemaShape: Sendable, CustomTestStringConvertible {
    var name: String
    /// CREATE statements, as the framework writes them.
    var schema: String
    /// The source's rows, inserted with SQL (and some deleted, for gaps).
    var rows: String
    /// Run on a copy of the source to make the reconcile target: renumber ids (and every
    /// reference to them), drop a couple of rows, edit a couple, add target-only rows.
    var target: String
    /// A profile file's JSON, when the schema alone cannot identify some table's rows.
    var profile: String? = nil
    /// Every user table that is data (not bookkeeping) with its natural identity.
    var identities: [Identity]
    /// Inserts without an id, run on the source and its replay: the ids given must be equal.
    var nextId: [String] = []
    /// Also reconcile after `Preparer.prepare` on both sides (issue 14: independent prepares
    /// must not break the matching of join tables and key-value tables).
    var preparedVariant = false
    /// Framework bookkeeping tables: not synced unless asked (issue 14).
    var bookkeeping: [String] = []
    /// Queries on the target after the reconcile that must return no row.
    var targetInvariants: [String] = []
    var sameResults: [SameResult] = []
    /// SQL run on the source before the second exchange; nil: the same changeset is imported again.
    var secondExchange: String? = nil

    var testDescription: String { name }

    func loadProfile() throws -> Profile {
        guard let profile else { return .empty }
        return try JSONDecoder().decode(Profile.self, from: Data(profile.utf8))
    }

    /// Builds the source database in `directory` and returns its path.
    func buildSource(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("source.db").path
        let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        try database.execute(schema)
        try database.execute(rows)
        return path
    }
}

enum SchemaCatalogue {
    static let shapes: [SchemaShape] = [
        autoincrementDjango, joinAllKeyWithoutRowid, joinCompositeKeyRowid, joinPrismaImplicit, joinDjangoIdAndUniquePair,
        withoutRowidKeyValue, generatedColumns, strictTables, nocaseAndRtrimKeys, partialUniqueIndex, expressionUniqueIndex,
        noPrimaryKey, integerPrimaryKeyAliasAndRowid, foreignKeyToUniqueColumn, deferredForeignKeys, onUpdateCascade,
        selfReferenceCycle, twoTableCycle, updatedAtTrigger, viewsAndFTS5, columnOrderAndExtraColumns, affinityQuirks,
        railsSchema, djangoSchema, prismaSchema,
    ]

    // MARK: AUTOINCREMENT

    /// Django's SQLite backend: every id `integer NOT NULL PRIMARY KEY AUTOINCREMENT`, FKs
    /// `DEFERRABLE INITIALLY DEFERRED`. Gaps, and the last rows deleted, so sqlite_sequence > max(id).
    static let autoincrementDjango = SchemaShape(
        name: "autoincrement_django",
        schema: """
            CREATE TABLE "blog_author" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "email" varchar(254) NOT NULL UNIQUE, "name" varchar(100) NOT NULL);
            CREATE TABLE "blog_entry" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "headline" varchar(255) NOT NULL, "slug" varchar(50) NOT NULL UNIQUE, "author_id" bigint NOT NULL REFERENCES "blog_author" ("id") DEFERRABLE INITIALLY DEFERRED);
            CREATE INDEX "blog_entry_author_id_3bd8a2a3" ON "blog_entry" ("author_id");
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)
            INSERT INTO "blog_author" ("email", "name") SELECT 'author' || i || '@example.com', 'Author ' || i FROM n;
            DELETE FROM "blog_author" WHERE "id" IN (4, 7, 12);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
            INSERT INTO "blog_entry" ("headline", "slug", "author_id")
            SELECT 'Headline ' || i, 'entry-' || i, a."id" FROM n JOIN (SELECT "id", row_number() OVER (ORDER BY "id") - 1 AS k FROM "blog_author") a ON a.k = i % 9 ORDER BY i;
            DELETE FROM "blog_entry" WHERE "id" IN (5, 29, 30);
            """,
        target: """
            UPDATE "blog_author" SET "id" = "id" + 1000;
            UPDATE "blog_entry" SET "author_id" = "author_id" + 1000, "id" = 100 - "id";
            DELETE FROM "blog_entry" WHERE "slug" IN ('entry-3', 'entry-4');
            DELETE FROM "blog_entry" WHERE "author_id" = 1011;
            DELETE FROM "blog_author" WHERE "id" = 1011;
            UPDATE "blog_author" SET "name" = 'Edited on target' WHERE "email" = 'author2@example.com';
            UPDATE "blog_entry" SET "headline" = 'Edited on target' WHERE "slug" = 'entry-8';
            """,
        identities: [
            Identity("blog_author", #"SELECT "email", "name", "id" FROM "blog_author""#),
            Identity("blog_entry", #"SELECT e."slug", e."headline" || '|' || quote(a."email"), e."id" FROM "blog_entry" e LEFT JOIN "blog_author" a ON a."id" = e."author_id""#),
        ],
        nextId: [
            #"INSERT INTO "blog_author" ("email", "name") VALUES ('probe@example.com', 'Probe')"#,
            #"INSERT INTO "blog_entry" ("headline", "slug", "author_id") VALUES ('Probe', 'probe', 1)"#,
        ]
    )

    // MARK: Join tables

    /// A many-to-many table whose every column is in its primary key, WITHOUT ROWID.
    static let joinAllKeyWithoutRowid = SchemaShape(
        name: "join_all_key_without_rowid",
        schema: """
            CREATE TABLE tag (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            CREATE TABLE post (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL);
            CREATE TABLE tag_post (tag INTEGER NOT NULL REFERENCES tag(id), post INTEGER NOT NULL REFERENCES post(id), PRIMARY KEY (tag, post)) WITHOUT ROWID;
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6) INSERT INTO tag (id, name) SELECT i, 'tag' || i FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) INSERT INTO post (id, slug, title) SELECT i, 'post-' || i, 'Post ' || i FROM n;
            INSERT INTO tag_post (tag, post) SELECT tag.id, post.id FROM tag, post WHERE (tag.id + post.id) % 3 = 0;
            """,
        target: """
            UPDATE tag SET id = 100 - id;
            UPDATE tag_post SET tag = 100 - tag;
            UPDATE post SET id = id + 1000;
            UPDATE tag_post SET post = post + 1000;
            DELETE FROM tag_post WHERE tag = 99 AND post = 1002;
            DELETE FROM tag_post WHERE tag = 98 AND post = 1004;
            DELETE FROM tag_post WHERE post = 1010;
            DELETE FROM post WHERE id = 1010;
            UPDATE post SET title = 'Edited on target' WHERE slug = 'post-3';
            INSERT INTO tag_post (tag, post) VALUES (99, 1001);
            """,
        identities: [
            Identity("tag", "SELECT name, '', id FROM tag"),
            Identity("post", "SELECT slug, title, id FROM post"),
            Identity("tag_post", "SELECT t.name || '|' || p.slug, '', quote(tp.tag) || ',' || quote(tp.post) FROM tag_post tp LEFT JOIN tag t ON t.id = tp.tag LEFT JOIN post p ON p.id = tp.post"),
        ],
        nextId: ["INSERT INTO tag (name) VALUES ('probe')", "INSERT INTO post (slug, title) VALUES ('probe', 'Probe')"],
        preparedVariant: true
    )

    /// A composite primary key of two foreign keys in a rowid table, with a payload.
    static let joinCompositeKeyRowid = SchemaShape(
        name: "join_composite_key_rowid",
        schema: """
            CREATE TABLE student (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
            CREATE TABLE course (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, title TEXT NOT NULL);
            CREATE TABLE enrollment (
              student_id INTEGER NOT NULL REFERENCES student(id) ON DELETE CASCADE,
              course_id INTEGER NOT NULL REFERENCES course(id) ON DELETE CASCADE,
              grade TEXT,
              enrolled_on TEXT NOT NULL,
              PRIMARY KEY (student_id, course_id)
            );
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8) INSERT INTO student (email, name) SELECT 's' || i || '@uni.example', 'Student ' || i FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) INSERT INTO course (code, title) SELECT 'C10' || i, 'Course ' || i FROM n;
            INSERT INTO enrollment (student_id, course_id, grade, enrolled_on)
            SELECT s.id, c.id, CASE (s.id + c.id) % 4 WHEN 0 THEN NULL ELSE char(64 + (s.id + c.id) % 4) END, '2024-09-0' || c.id
            FROM student s, course c WHERE (s.id + 2 * c.id) % 3 = 0 ORDER BY c.id DESC, s.id;
            """,
        target: """
            UPDATE student SET id = id + 1000;
            UPDATE enrollment SET student_id = student_id + 1000;
            UPDATE course SET id = 50 - id;
            UPDATE enrollment SET course_id = 50 - course_id;
            DELETE FROM enrollment WHERE rowid IN (SELECT rowid FROM enrollment ORDER BY student_id, course_id LIMIT 2);
            UPDATE enrollment SET grade = 'F' WHERE rowid IN (SELECT rowid FROM enrollment ORDER BY student_id DESC, course_id LIMIT 2);
            DELETE FROM enrollment WHERE student_id = 1008;
            DELETE FROM student WHERE id = 1008;
            """,
        identities: [
            Identity("student", "SELECT email, name, id FROM student"),
            Identity("course", "SELECT code, title, id FROM course"),
            Identity("enrollment", """
                SELECT s.email || '|' || c.code, quote(e.grade) || '|' || e.enrolled_on, quote(e.student_id) || ',' || quote(e.course_id)
                FROM enrollment e LEFT JOIN student s ON s.id = e.student_id LEFT JOIN course c ON c.id = e.course_id
                """),
        ],
        nextId: ["INSERT INTO student (email, name) VALUES ('probe', 'Probe')"],
        preparedVariant: true
    )

    /// Prisma's implicit many-to-many: `_AToB("A", "B")`, a unique index on (A, B), no primary key.
    static let joinPrismaImplicit = SchemaShape(
        name: "join_prisma_implicit_m2m",
        schema: """
            CREATE TABLE "Category" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL);
            CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "slug" TEXT NOT NULL);
            CREATE TABLE "_CategoryToPost" (
                "A" INTEGER NOT NULL,
                "B" INTEGER NOT NULL,
                CONSTRAINT "_CategoryToPost_A_fkey" FOREIGN KEY ("A") REFERENCES "Category" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
                CONSTRAINT "_CategoryToPost_B_fkey" FOREIGN KEY ("B") REFERENCES "Post" ("id") ON DELETE CASCADE ON UPDATE CASCADE
            );
            CREATE UNIQUE INDEX "Category_name_key" ON "Category"("name");
            CREATE UNIQUE INDEX "Post_slug_key" ON "Post"("slug");
            CREATE UNIQUE INDEX "_CategoryToPost_AB_unique" ON "_CategoryToPost"("A", "B");
            CREATE INDEX "_CategoryToPost_B_index" ON "_CategoryToPost"("B");
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6) INSERT INTO "Category" ("name") SELECT 'Category ' || i FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12) INSERT INTO "Post" ("title", "slug") SELECT 'Post ' || i, 'post-' || i FROM n;
            INSERT INTO "_CategoryToPost" ("A", "B") SELECT c."id", p."id" FROM "Category" c, "Post" p WHERE (c."id" + p."id") % 4 = 1 ORDER BY p."id" DESC, c."id";
            DELETE FROM "_CategoryToPost" WHERE "A" = 6;
            DELETE FROM "Category" WHERE "id" = 6;
            """,
        target: """
            UPDATE "Category" SET "id" = "id" + 1000;
            UPDATE "_CategoryToPost" SET "A" = "A" + 1000;
            UPDATE "Post" SET "id" = 100 - "id";
            UPDATE "_CategoryToPost" SET "B" = 100 - "B";
            DELETE FROM "_CategoryToPost" WHERE rowid IN (SELECT rowid FROM "_CategoryToPost" ORDER BY rowid LIMIT 2);
            DELETE FROM "_CategoryToPost" WHERE "B" = 88;
            DELETE FROM "Post" WHERE "id" = 88;
            UPDATE "Post" SET "title" = 'Edited on target' WHERE "slug" IN ('post-2', 'post-7');
            """,
        identities: [
            Identity("Category", #"SELECT "name", '', "id" FROM "Category""#),
            Identity("Post", #"SELECT "slug", "title", "id" FROM "Post""#),
            Identity("_CategoryToPost", #"SELECT c."name" || '|' || p."slug", '', quote(j."A") || ',' || quote(j."B") FROM "_CategoryToPost" j LEFT JOIN "Category" c ON c."id" = j."A" LEFT JOIN "Post" p ON p."id" = j."B""#),
        ],
        nextId: [#"INSERT INTO "Category" ("name") VALUES ('probe')"#, #"INSERT INTO "Post" ("title", "slug") VALUES ('Probe', 'probe')"#],
        preparedVariant: true
    )

    /// Django's ManyToManyField table: its own `id` plus a UNIQUE index over the two foreign keys.
    static let joinDjangoIdAndUniquePair = SchemaShape(
        name: "join_django_id_unique_pair",
        schema: """
            CREATE TABLE "shop_product" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "sku" varchar(32) NOT NULL UNIQUE, "name" varchar(100) NOT NULL);
            CREATE TABLE "shop_tag" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "label" varchar(50) NOT NULL UNIQUE);
            CREATE TABLE "shop_product_tags" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "product_id" bigint NOT NULL REFERENCES "shop_product" ("id") DEFERRABLE INITIALLY DEFERRED, "tag_id" bigint NOT NULL REFERENCES "shop_tag" ("id") DEFERRABLE INITIALLY DEFERRED);
            CREATE UNIQUE INDEX "shop_product_tags_product_id_tag_id_7d1f8e2c_uniq" ON "shop_product_tags" ("product_id", "tag_id");
            CREATE INDEX "shop_product_tags_product_id_1f5e5a9b" ON "shop_product_tags" ("product_id");
            CREATE INDEX "shop_product_tags_tag_id_3e7f0b6d" ON "shop_product_tags" ("tag_id");
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9) INSERT INTO "shop_product" ("sku", "name") SELECT 'SKU-' || i, 'Product ' || i FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) INSERT INTO "shop_tag" ("label") SELECT 'label-' || i FROM n;
            INSERT INTO "shop_product_tags" ("product_id", "tag_id") SELECT p."id", t."id" FROM "shop_product" p, "shop_tag" t WHERE (p."id" + t."id") % 3 = 0;
            DELETE FROM "shop_product_tags" WHERE "id" IN (2, 6);
            DELETE FROM "shop_product_tags" WHERE "product_id" = 9;
            DELETE FROM "shop_product" WHERE "id" = 9;
            """,
        target: """
            UPDATE "shop_product" SET "id" = "id" + 1000;
            UPDATE "shop_tag" SET "id" = 500 - "id";
            UPDATE "shop_product_tags" SET "id" = "id" + 2000, "product_id" = "product_id" + 1000, "tag_id" = 500 - "tag_id";
            DELETE FROM "shop_product_tags" WHERE "id" IN (SELECT "id" FROM "shop_product_tags" ORDER BY "id" LIMIT 2);
            DELETE FROM "shop_product_tags" WHERE "product_id" = 1008;
            DELETE FROM "shop_product" WHERE "id" = 1008;
            UPDATE "shop_product" SET "name" = 'Edited on target' WHERE "sku" = 'SKU-3';
            """,
        identities: [
            Identity("shop_product", #"SELECT "sku", "name", "id" FROM "shop_product""#),
            Identity("shop_tag", #"SELECT "label", '', "id" FROM "shop_tag""#),
            Identity("shop_product_tags", #"SELECT p."sku" || '|' || t."label", '', j."id" FROM "shop_product_tags" j LEFT JOIN "shop_product" p ON p."id" = j."product_id" LEFT JOIN "shop_tag" t ON t."id" = j."tag_id""#),
        ],
        nextId: [#"INSERT INTO "shop_product_tags" ("product_id", "tag_id") VALUES (1, 1)"#, #"INSERT INTO "shop_product" ("sku", "name") VALUES ('probe', 'Probe')"#],
        preparedVariant: true
    )

    // MARK: WITHOUT ROWID, generated columns, STRICT

    /// Key-value tables WITHOUT ROWID (a text key, a composite text key) and an INTEGER
    /// PRIMARY KEY that is no rowid alias.
    static let withoutRowidKeyValue = SchemaShape(
        name: "without_rowid_key_value",
        schema: """
            CREATE TABLE settings (key TEXT NOT NULL PRIMARY KEY, value TEXT, changed_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
            CREATE TABLE daily_counter (scope TEXT NOT NULL, day TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (scope, day)) WITHOUT ROWID;
            CREATE TABLE word (id INTEGER NOT NULL PRIMARY KEY, lemma TEXT NOT NULL UNIQUE, freq INTEGER) WITHOUT ROWID;
            """,
        rows: """
            INSERT INTO settings (key, value, changed_at) VALUES
              ('theme', 'dark', 1), ('locale', 'de_CH', 2), ('beta', 1, 3), ('timezone', 'Europe/Zurich', 4),
              ('page.size', 50, 5), ('empty', '', 6), ('nothing', NULL, 7), ('json', '{"a":[1,2]}', 8);
            WITH RECURSIVE d(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM d WHERE i < 4)
            INSERT INTO daily_counter (scope, day, hits) SELECT s.scope, '2024-01-0' || d.i, d.i * 10 + length(s.scope) FROM d, (SELECT 'web' AS scope UNION ALL SELECT 'api' UNION ALL SELECT 'cli') s;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) INSERT INTO word (id, lemma, freq) SELECT i * 3, 'w' || i, CASE WHEN i % 4 = 0 THEN NULL ELSE i * 7 END FROM n;
            """,
        target: """
            UPDATE settings SET value = 'target value' WHERE key IN ('theme', 'locale');
            DELETE FROM settings WHERE key IN ('beta', 'timezone');
            INSERT INTO settings (key, value) VALUES ('target.only', 'kept');
            UPDATE daily_counter SET hits = hits + 100 WHERE scope = 'web' AND day = '2024-01-02';
            DELETE FROM daily_counter WHERE scope = 'api' AND day IN ('2024-01-03', '2024-01-04');
            UPDATE word SET id = id + 1000;
            DELETE FROM word WHERE lemma IN ('w3', 'w7');
            UPDATE word SET freq = -1 WHERE lemma = 'w5';
            """,
        identities: [
            Identity("settings", "SELECT key, quote(value) || '|' || changed_at, key FROM settings"),
            Identity("daily_counter", "SELECT scope || '|' || day, hits, scope || '|' || day FROM daily_counter"),
            Identity("word", "SELECT lemma, quote(freq), id FROM word"),
        ],
        preparedVariant: true
    )

    /// Generated columns, VIRTUAL and STORED: never written, computed on both sides.
    static let generatedColumns = SchemaShape(
        name: "generated_columns",
        schema: """
            CREATE TABLE item (
              id INTEGER PRIMARY KEY,
              sku TEXT NOT NULL UNIQUE,
              price_cents INTEGER NOT NULL,
              qty INTEGER NOT NULL,
              total_cents INTEGER GENERATED ALWAYS AS (price_cents * qty) STORED,
              label TEXT GENERATED ALWAYS AS (upper(sku) || ' x' || qty) VIRTUAL,
              note TEXT
            );
            CREATE INDEX item_total ON item(total_cents);
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)
            INSERT INTO item (sku, price_cents, qty, note) SELECT 'sku-' || i, i * 125, i % 5, CASE WHEN i % 3 = 0 THEN NULL ELSE 'note ' || i END FROM n;
            DELETE FROM item WHERE id = 12;
            """,
        target: """
            UPDATE item SET id = id + 1000;
            DELETE FROM item WHERE sku IN ('sku-3', 'sku-9');
            UPDATE item SET qty = qty + 50 WHERE sku IN ('sku-2', 'sku-5');
            """,
        identities: [
            Identity("item", "SELECT sku, price_cents || '|' || qty || '|' || total_cents || '|' || label || '|' || quote(note), id FROM item"),
        ],
        nextId: ["INSERT INTO item (sku, price_cents, qty) VALUES ('probe', 1, 1)"]
    )

    /// STRICT tables: REAL, BLOB and ANY columns, one of them also WITHOUT ROWID.
    static let strictTables = SchemaShape(
        name: "strict_tables",
        schema: """
            CREATE TABLE account (id INTEGER PRIMARY KEY, handle TEXT NOT NULL UNIQUE, balance REAL NOT NULL DEFAULT 0, avatar BLOB, meta ANY) STRICT;
            CREATE TABLE ledger (id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE, account_id INTEGER NOT NULL REFERENCES account(id), amount INTEGER NOT NULL, memo TEXT) STRICT;
            CREATE TABLE account_label (account_id INTEGER NOT NULL REFERENCES account(id), label TEXT NOT NULL, PRIMARY KEY (account_id, label)) STRICT, WITHOUT ROWID;
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 7)
            INSERT INTO account (handle, balance, avatar, meta)
            SELECT '@user' || i, i * 10, CASE WHEN i % 2 = 0 THEN NULL ELSE zeroblob(i) END,
                   CASE i % 4 WHEN 0 THEN i WHEN 1 THEN i * 1.5 WHEN 2 THEN 'text ' || i ELSE x'00ff10' END FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 15)
            INSERT INTO ledger (ref, account_id, amount, memo) SELECT 'L-' || i, 1 + i % 7, i * 100 - 750, CASE WHEN i % 4 = 0 THEN NULL ELSE 'memo ' || i END FROM n;
            INSERT INTO account_label (account_id, label) VALUES (1, 'vip'), (1, 'early'), (2, 'vip'), (3, 'late'), (5, 'vip'), (6, 'early'), (7, 'vip'), (7, 'late');
            """,
        target: """
            UPDATE account SET id = id + 1000;
            UPDATE ledger SET account_id = account_id + 1000, id = 100 - id;
            UPDATE account_label SET account_id = account_id + 1000;
            DELETE FROM ledger WHERE ref IN ('L-2', 'L-11');
            DELETE FROM account_label WHERE account_id = 1001 AND label = 'early';
            UPDATE account SET balance = 999.5 WHERE handle = '@user3';
            UPDATE ledger SET memo = 'edited on target' WHERE ref = 'L-5';
            """,
        identities: [
            Identity("account", "SELECT handle, quote(balance) || '|' || quote(avatar) || '|' || typeof(meta) || ':' || quote(meta), id FROM account"),
            Identity("ledger", "SELECT l.ref, quote(a.handle) || '|' || l.amount || '|' || quote(l.memo), l.id FROM ledger l LEFT JOIN account a ON a.id = l.account_id"),
            Identity("account_label", "SELECT a.handle || '|' || l.label, '', quote(l.account_id) || ',' || quote(l.label) FROM account_label l LEFT JOIN account a ON a.id = l.account_id"),
        ],
        nextId: ["INSERT INTO account (handle) VALUES ('probe')", "INSERT INTO ledger (ref, account_id, amount) VALUES ('probe', 1, 1)"]
    )

    // MARK: Natural keys with collations, partial and expression indexes

    /// Natural keys under COLLATE NOCASE and RTRIM: the target spells some of them otherwise.
    static let nocaseAndRtrimKeys = SchemaShape(
        name: "nocase_and_rtrim_keys",
        schema: """
            CREATE TABLE member (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL);
            CREATE TABLE voucher (id INTEGER PRIMARY KEY, code TEXT NOT NULL COLLATE RTRIM, member_id INTEGER REFERENCES member(id), amount INTEGER NOT NULL);
            CREATE UNIQUE INDEX voucher_code ON voucher(code);
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8) INSERT INTO member (email, name) SELECT 'Member' || i || '@Example.com', 'Member ' || i FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12) INSERT INTO voucher (code, member_id, amount) SELECT 'V-' || i, CASE WHEN i % 5 = 0 THEN NULL ELSE 1 + i % 8 END, i * 5 FROM n;
            """,
        target: """
            UPDATE member SET id = id + 1000;
            UPDATE voucher SET member_id = member_id + 1000, id = id + 2000;
            UPDATE member SET email = lower(email) WHERE id IN (1001, 1002, 1003);
            UPDATE voucher SET code = code || '   ' WHERE code IN ('V-1', 'V-2', 'V-3');
            DELETE FROM voucher WHERE code IN ('V-7', 'V-8');
            UPDATE member SET name = 'Edited on target' WHERE id = 1004;
            UPDATE voucher SET amount = -1 WHERE code = 'V-9';
            """,
        identities: [
            Identity("member", "SELECT lower(email), name, id FROM member"),
            Identity("voucher", "SELECT rtrim(v.code), quote(lower(m.email)) || '|' || v.amount, v.id FROM voucher v LEFT JOIN member m ON m.id = v.member_id"),
        ],
        nextId: ["INSERT INTO member (email, name) VALUES ('probe', 'Probe')"]
    )

    /// A partial unique index: email is unique among active subscriptions only, so it is no
    /// identity for the others (the profile names the real one).
    static let partialUniqueIndex = SchemaShape(
        name: "partial_unique_index",
        schema: """
            CREATE TABLE subscription (id INTEGER PRIMARY KEY, email TEXT NOT NULL, plan TEXT NOT NULL, active INTEGER NOT NULL, started TEXT NOT NULL);
            CREATE UNIQUE INDEX subscription_one_active ON subscription(email) WHERE active = 1;
            """,
        rows: """
            WITH RECURSIVE e(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM e WHERE i < 5), k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < 3)
            INSERT INTO subscription (email, plan, active, started)
            SELECT 'user' || i || '@example.com', CASE j WHEN 1 THEN 'free' WHEN 2 THEN 'pro' ELSE 'team' END, CASE WHEN j = 3 AND i < 5 THEN 1 ELSE 0 END, '2024-0' || j || '-01'
            FROM e, k ORDER BY i, j;
            """,
        target: """
            UPDATE subscription SET id = 100 - id;
            DELETE FROM subscription WHERE email = 'user1@example.com' AND started = '2024-01-01';
            DELETE FROM subscription WHERE email = 'user2@example.com' AND started = '2024-02-01';
            DELETE FROM subscription WHERE email = 'user3@example.com' AND active = 1;
            UPDATE subscription SET plan = 'edited' WHERE email = 'user4@example.com' AND started IN ('2024-01-01', '2024-03-01');
            """,
        profile: #"{"tables": {"subscription": {"match": [["email", "started"]]}}}"#,
        identities: [
            Identity("subscription", "SELECT email || '|' || started, plan || '|' || active, id FROM subscription"),
        ],
        nextId: ["INSERT INTO subscription (email, plan, active, started) VALUES ('probe', 'free', 0, 'now')"]
    )

    /// A unique expression index, `ON person(lower(email))`: the target spells some emails in capitals.
    static let expressionUniqueIndex = SchemaShape(
        name: "expression_unique_index",
        schema: """
            CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL);
            CREATE UNIQUE INDEX person_email_lower ON person(lower(email));
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) INSERT INTO person (email, name) SELECT 'person' || i || '@example.com', 'Person ' || i FROM n;
            """,
        target: """
            UPDATE person SET id = id + 1000;
            UPDATE person SET email = upper(email) WHERE id IN (1002, 1005);
            DELETE FROM person WHERE id IN (1007, 1009);
            UPDATE person SET name = 'Edited on target' WHERE id = 1003;
            """,
        identities: [Identity("person", "SELECT lower(email), name, id FROM person")],
        nextId: ["INSERT INTO person (email, name) VALUES ('probe', 'Probe')"]
    )

    // MARK: Keys: none, INTEGER PRIMARY KEY alias, plain rowid

    /// No primary key at all (a log); the profile names the columns that tell rows apart.
    static let noPrimaryKey = SchemaShape(
        name: "no_primary_key",
        schema: """
            CREATE TABLE audit_log (at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT);
            CREATE INDEX audit_log_at ON audit_log(at);
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 16)
            INSERT INTO audit_log (at, actor, action, detail) SELECT '2024-05-01T10:' || printf('%02d', i) || ':00Z', 'user' || (i % 3), CASE i % 2 WHEN 0 THEN 'login' ELSE 'edit' END, CASE WHEN i % 5 = 0 THEN NULL ELSE 'detail ' || i END FROM n;
            DELETE FROM audit_log WHERE rowid IN (4, 16);
            """,
        target: """
            CREATE TEMP TABLE reversed AS SELECT * FROM audit_log ORDER BY rowid DESC;
            DELETE FROM audit_log;
            INSERT INTO audit_log (at, actor, action, detail) SELECT at, actor, action, detail FROM reversed;
            DROP TABLE reversed;
            DELETE FROM audit_log WHERE at IN ('2024-05-01T10:02:00Z', '2024-05-01T10:09:00Z');
            UPDATE audit_log SET detail = 'edited on target' WHERE at IN ('2024-05-01T10:03:00Z', '2024-05-01T10:05:00Z');
            """,
        profile: #"{"tables": {"audit_log": {"match": [["at", "actor", "action"]]}}}"#,
        identities: [Identity("audit_log", "SELECT at || '|' || actor || '|' || action, quote(detail), rowid FROM audit_log")],
        nextId: ["INSERT INTO audit_log (at, actor, action) VALUES ('probe', 'probe', 'probe')"]
    )

    /// `INTEGER PRIMARY KEY` (a rowid alias), `INT PRIMARY KEY` (not one: a column beside the
    /// rowid, which even takes NULL) and a plain rowid table.
    static let integerPrimaryKeyAliasAndRowid = SchemaShape(
        name: "integer_pk_alias_and_plain_rowid",
        schema: """
            CREATE TABLE city (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, population INTEGER);
            CREATE TABLE city_int (id INT PRIMARY KEY, name TEXT NOT NULL UNIQUE, population INTEGER);
            CREATE TABLE note (body TEXT NOT NULL UNIQUE, pinned INTEGER NOT NULL DEFAULT 0);
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) INSERT INTO city (id, name, population) SELECT i * 2, 'City ' || i, i * 1000 FROM n;
            DELETE FROM city WHERE id = 20;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) INSERT INTO city_int (id, name, population) SELECT 100 - i, 'Town ' || i, i FROM n;
            INSERT INTO city_int (id, name, population) VALUES (NULL, 'Nowhere', 0);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) INSERT INTO note (body, pinned) SELECT 'note ' || i, i % 2 FROM n;
            DELETE FROM note WHERE rowid IN (3, 10);
            """,
        target: """
            UPDATE city SET id = id + 1000;
            UPDATE city_int SET id = id + 1000;
            CREATE TEMP TABLE reversed AS SELECT * FROM note ORDER BY rowid DESC;
            DELETE FROM note;
            INSERT INTO note (body, pinned) SELECT body, pinned FROM reversed;
            DROP TABLE reversed;
            DELETE FROM city WHERE name IN ('City 2', 'City 5');
            DELETE FROM city_int WHERE name = 'Town 4';
            DELETE FROM note WHERE body = 'note 6';
            UPDATE city SET population = -1 WHERE name = 'City 7';
            UPDATE city_int SET population = -1 WHERE name = 'Town 8';
            UPDATE note SET pinned = 9 WHERE body = 'note 1';
            """,
        identities: [
            Identity("city", "SELECT name, quote(population), id FROM city"),
            Identity("city_int", "SELECT name, quote(population), quote(id) FROM city_int"),
            Identity("note", "SELECT body, pinned, rowid FROM note"),
        ],
        nextId: ["INSERT INTO city (name) VALUES ('probe')", "INSERT INTO note (body) VALUES ('probe')"]
    )

    // MARK: Foreign keys

    /// A foreign key to a non-primary UNIQUE column.
    static let foreignKeyToUniqueColumn = SchemaShape(
        name: "fk_to_unique_column",
        schema: """
            CREATE TABLE country (id INTEGER PRIMARY KEY, iso TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
            CREATE TABLE airport (id INTEGER PRIMARY KEY, iata TEXT NOT NULL UNIQUE, country_iso TEXT NOT NULL REFERENCES country(iso), name TEXT);
            """,
        rows: """
            INSERT INTO country (iso, name) VALUES ('CH', 'Switzerland'), ('DE', 'Germany'), ('FR', 'France'), ('IT', 'Italy'), ('AT', 'Austria'), ('NL', 'Netherlands');
            INSERT INTO airport (iata, country_iso, name) VALUES ('ZRH', 'CH', 'Zurich'), ('GVA', 'CH', 'Geneva'), ('BSL', 'CH', 'Basel'), ('FRA', 'DE', 'Frankfurt'),
              ('MUC', 'DE', 'Munich'), ('CDG', 'FR', 'Paris CDG'), ('NCE', 'FR', 'Nice'), ('FCO', 'IT', 'Rome'), ('MXP', 'IT', 'Milan'), ('VIE', 'AT', 'Vienna'),
              ('AMS', 'NL', 'Amsterdam'), ('RTM', 'NL', NULL);
            """,
        target: """
            UPDATE country SET id = id + 1000;
            UPDATE airport SET id = 500 - id;
            DELETE FROM airport WHERE iata IN ('GVA', 'NCE');
            DELETE FROM airport WHERE country_iso = 'NL';
            DELETE FROM country WHERE iso = 'NL';
            UPDATE airport SET name = 'Edited on target' WHERE iata = 'MUC';
            """,
        identities: [
            Identity("country", "SELECT iso, name, id FROM country"),
            Identity("airport", "SELECT a.iata, quote(c.iso) || '|' || quote(a.name), a.id FROM airport a LEFT JOIN country c ON c.iso = a.country_iso"),
        ],
        nextId: ["INSERT INTO airport (iata, country_iso) VALUES ('PRB', 'CH')"]
    )

    /// DEFERRABLE INITIALLY DEFERRED keys, the child table named before its parent.
    static let deferredForeignKeys = SchemaShape(
        name: "deferrable_initially_deferred",
        schema: """
            CREATE TABLE a_invoice_line (id INTEGER PRIMARY KEY, invoice_id INTEGER NOT NULL REFERENCES z_invoice(id) DEFERRABLE INITIALLY DEFERRED, line_no INTEGER NOT NULL, amount INTEGER NOT NULL, UNIQUE (invoice_id, line_no));
            CREATE TABLE z_invoice (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, customer TEXT NOT NULL);
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) INSERT INTO z_invoice (id, number, customer) SELECT i * 10, 'INV-' || i, 'Customer ' || (i % 2) FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 15) INSERT INTO a_invoice_line (invoice_id, line_no, amount) SELECT ((i - 1) / 3 + 1) * 10, (i - 1) % 3 + 1, i * 111 FROM n;
            """,
        target: """
            UPDATE z_invoice SET id = id + 1000;
            UPDATE a_invoice_line SET invoice_id = invoice_id + 1000, id = 100 - id;
            DELETE FROM a_invoice_line WHERE invoice_id = 1050;
            DELETE FROM z_invoice WHERE id = 1050;
            DELETE FROM a_invoice_line WHERE invoice_id = 1020 AND line_no = 2;
            UPDATE a_invoice_line SET amount = 0 WHERE invoice_id = 1030 AND line_no = 1;
            UPDATE z_invoice SET customer = 'Edited on target' WHERE number = 'INV-1';
            """,
        identities: [
            Identity("z_invoice", "SELECT number, customer, id FROM z_invoice"),
            Identity("a_invoice_line", "SELECT i.number || '|' || l.line_no, l.amount, l.id FROM a_invoice_line l LEFT JOIN z_invoice i ON i.id = l.invoice_id"),
        ],
        nextId: ["INSERT INTO a_invoice_line (invoice_id, line_no, amount) VALUES (10, 99, 1)"]
    )

    /// ON UPDATE CASCADE / ON DELETE CASCADE: updating a parent must never take its children with it.
    static let onUpdateCascade = SchemaShape(
        name: "on_update_cascade",
        schema: """
            CREATE TABLE team (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
            CREATE TABLE player (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES team(id) ON UPDATE CASCADE ON DELETE CASCADE, number INTEGER NOT NULL, name TEXT NOT NULL, UNIQUE (team_id, number));
            CREATE TABLE sponsor (id INTEGER PRIMARY KEY, team_code TEXT NOT NULL REFERENCES team(code) ON UPDATE CASCADE ON DELETE CASCADE, brand TEXT NOT NULL, UNIQUE (team_code, brand));
            """,
        rows: """
            INSERT INTO team (code, name) VALUES ('RED', 'Red Lions'), ('BLU', 'Blue Sharks'), ('GRN', 'Green Frogs'), ('YLW', 'Yellow Bees');
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 16) INSERT INTO player (team_id, number, name) SELECT 1 + i % 4, i, 'Player ' || i FROM n;
            INSERT INTO sponsor (team_code, brand) VALUES ('RED', 'Acme'), ('RED', 'Globex'), ('BLU', 'Initech'), ('GRN', 'Acme'), ('YLW', 'Umbrella');
            """,
        target: """
            UPDATE team SET id = id + 1000;
            UPDATE player SET team_id = team_id + 1000, id = id + 2000;
            UPDATE sponsor SET id = 50 - id;
            UPDATE team SET name = 'Edited on target' WHERE code IN ('RED', 'BLU');
            DELETE FROM player WHERE number IN (3, 10);
            DELETE FROM sponsor WHERE brand = 'Globex';
            UPDATE player SET name = 'Edited on target' WHERE number = 5;
            """,
        identities: [
            Identity("team", "SELECT code, name, id FROM team"),
            Identity("player", "SELECT t.code || '|' || p.number, p.name, p.id FROM player p LEFT JOIN team t ON t.id = p.team_id"),
            Identity("sponsor", "SELECT t.code || '|' || s.brand, '', s.id FROM sponsor s LEFT JOIN team t ON t.code = s.team_code"),
        ],
        nextId: ["INSERT INTO player (team_id, number, name) VALUES (1, 99, 'Probe')"]
    )

    /// employee.manager_id: a tree, forward references, a two-person cycle and a self-manager.
    static let selfReferenceCycle = SchemaShape(
        name: "self_reference_cycle",
        schema: """
            CREATE TABLE employee (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, manager_id INTEGER REFERENCES employee(id));
            """,
        rows: """
            INSERT INTO employee (id, email, name, manager_id) VALUES
              (1, 'ceo@corp.example', 'Ceo', NULL), (5, 'cto@corp.example', 'Cto', 1), (3, 'dev1@corp.example', 'Dev 1', 5),
              (2, 'dev2@corp.example', 'Dev 2', 5), (9, 'dev3@corp.example', 'Dev 3', 12), (12, 'lead@corp.example', 'Lead', 5),
              (4, 'pair-a@corp.example', 'Pair A', 7), (7, 'pair-b@corp.example', 'Pair B', 4), (6, 'self@corp.example', 'Self', 6),
              (8, 'ops@corp.example', 'Ops', 1), (10, 'ops2@corp.example', 'Ops 2', 8), (11, 'intern@corp.example', 'Intern', 3);
            """,
        target: """
            UPDATE employee SET id = 100 - id, manager_id = 100 - manager_id;
            DELETE FROM employee WHERE email = 'intern@corp.example';
            UPDATE employee SET manager_id = NULL WHERE email = 'dev3@corp.example';
            DELETE FROM employee WHERE email = 'lead@corp.example';
            UPDATE employee SET name = 'Edited on target' WHERE email = 'ops@corp.example';
            """,
        identities: [
            Identity("employee", "SELECT e.email, e.name || '|' || quote(m.email) || '|' || quote(e.manager_id IS NULL), e.id FROM employee e LEFT JOIN employee m ON m.id = e.manager_id"),
        ],
        nextId: ["INSERT INTO employee (email, name) VALUES ('probe', 'Probe')"]
    )

    /// department.head_id -> staff, staff.department_id -> department; a whole department
    /// (both ends of the cycle) is missing on the target.
    static let twoTableCycle = SchemaShape(
        name: "two_table_cycle",
        schema: """
            CREATE TABLE department (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, head_id INTEGER REFERENCES staff(id));
            CREATE TABLE staff (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, department_id INTEGER NOT NULL REFERENCES department(id));
            """,
        rows: """
            INSERT INTO department (id, name, head_id) VALUES (1, 'Sales', 3), (2, 'Support', 5), (3, 'R&D', NULL), (4, 'Legal', 8);
            INSERT INTO staff (id, email, name, department_id) VALUES
              (1, 's1@corp.example', 'S1', 1), (2, 's2@corp.example', 'S2', 1), (3, 's3@corp.example', 'S3', 1), (4, 's4@corp.example', 'S4', 2),
              (5, 's5@corp.example', 'S5', 2), (6, 's6@corp.example', 'S6', 3), (7, 's7@corp.example', 'S7', 3), (8, 's8@corp.example', 'S8', 4),
              (9, 's9@corp.example', 'S9', 4);
            """,
        target: """
            UPDATE department SET id = id + 100, head_id = head_id + 1000;
            UPDATE staff SET id = id + 1000, department_id = department_id + 100;
            DELETE FROM staff WHERE department_id = 104;
            DELETE FROM department WHERE id = 104;
            DELETE FROM staff WHERE email = 's2@corp.example';
            UPDATE staff SET name = 'Edited on target' WHERE email = 's6@corp.example';
            """,
        identities: [
            Identity("department", "SELECT d.name, quote(s.email), d.id FROM department d LEFT JOIN staff s ON s.id = d.head_id"),
            Identity("staff", "SELECT s.email, s.name || '|' || quote(d.name), s.id FROM staff s LEFT JOIN department d ON d.id = s.department_id"),
        ],
        nextId: ["INSERT INTO staff (email, name, department_id) VALUES ('probe', 'Probe', 1)"]
    )

    // MARK: Triggers, views, FTS5

    /// A target trigger stamps updated_at on every UPDATE: the later exchange must not conflict.
    static let updatedAtTrigger = SchemaShape(
        name: "updated_at_trigger",
        schema: """
            CREATE TABLE note (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, body TEXT NOT NULL, updated_at TEXT NOT NULL DEFAULT '2024-01-01 00:00:00');
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) INSERT INTO note (slug, body, updated_at) SELECT 'note-' || i, 'Body ' || i, '2024-01-0' || (i % 9 + 1) || ' 12:00:00' FROM n;
            """,
        target: """
            CREATE TRIGGER note_touch AFTER UPDATE ON note FOR EACH ROW
            BEGIN UPDATE note SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id; END;
            UPDATE note SET id = id + 1000;
            DELETE FROM note WHERE slug IN ('note-4', 'note-9');
            UPDATE note SET body = 'Edited on target' WHERE slug IN ('note-2', 'note-3');
            """,
        identities: [Identity("note", "SELECT slug, body, id FROM note")],
        nextId: ["INSERT INTO note (slug, body) VALUES ('probe', 'Probe')"],
        secondExchange: "UPDATE note SET body = 'Second edit on source' WHERE slug IN ('note-2', 'note-6');"
    )

    /// A view, an external-content FTS5 index kept by triggers, and a standalone FTS5 table:
    /// their shadow tables are not data.
    static let viewsAndFTS5 = SchemaShape(
        name: "views_and_fts5",
        schema: """
            CREATE TABLE article (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL, body TEXT NOT NULL);
            CREATE VIRTUAL TABLE article_fts USING fts5(title, body, content='article', content_rowid='id');
            CREATE TRIGGER article_ai AFTER INSERT ON article BEGIN
              INSERT INTO article_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
            END;
            CREATE TRIGGER article_ad AFTER DELETE ON article BEGIN
              INSERT INTO article_fts(article_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
            END;
            CREATE TRIGGER article_au AFTER UPDATE ON article BEGIN
              INSERT INTO article_fts(article_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
              INSERT INTO article_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
            END;
            CREATE VIEW article_titles AS SELECT slug, upper(title) AS title FROM article;
            CREATE VIRTUAL TABLE search_log USING fts5(term);
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
            INSERT INTO article (slug, title, body) SELECT 'article-' || i, 'Title ' || i || CASE WHEN i % 2 = 0 THEN ' alpha' ELSE ' beta' END, 'Body ' || i || CASE WHEN i % 3 = 0 THEN ' gamma' ELSE ' delta' END FROM n;
            INSERT INTO search_log (term) VALUES ('alpha'), ('beta'), ('gamma ray'), ('delta');
            """,
        target: """
            UPDATE article SET id = id + 1000;
            DELETE FROM article WHERE slug IN ('article-4', 'article-7');
            UPDATE article SET title = 'Edited on target', body = 'nothing here' WHERE slug = 'article-6';
            """,
        identities: [Identity("article", "SELECT slug, title || '|' || body, id FROM article")],
        nextId: ["INSERT INTO article (slug, title, body) VALUES ('probe', 'Probe', 'probe')"],
        targetInvariants: ["INSERT INTO article_fts(article_fts, rank) VALUES ('integrity-check', 1)"],
        sameResults: [
            SameResult(requires: "article_fts", sql: "SELECT a.slug FROM article_fts f JOIN article a ON a.id = f.rowid WHERE article_fts MATCH 'alpha' ORDER BY a.slug"),
            SameResult(requires: "article_fts", sql: "SELECT a.slug FROM article_fts f JOIN article a ON a.id = f.rowid WHERE article_fts MATCH 'gamma' ORDER BY a.slug"),
            SameResult(requires: "article_titles", sql: "SELECT slug, title FROM article_titles ORDER BY slug"),
        ]
    )

    // MARK: Column order, extra columns, affinity

    /// The target's tables have their columns in another order and extra defaulted columns
    /// (and one table is named "order").
    static let columnOrderAndExtraColumns = SchemaShape(
        name: "column_order_and_extra_columns",
        schema: """
            CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, city TEXT);
            CREATE TABLE "order" (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, customer_id INTEGER NOT NULL REFERENCES customer(id), total REAL NOT NULL);
            """,
        rows: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8) INSERT INTO customer (email, name, city) SELECT 'c' || i || '@example.com', 'Customer ' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'City ' || i END FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 14) INSERT INTO "order" (number, customer_id, total) SELECT 'O-' || i, 1 + i % 8, i * 12.5 FROM n;
            """,
        target: """
            CREATE TABLE customer_new (city TEXT, name TEXT NOT NULL, loyalty INTEGER NOT NULL DEFAULT 0, email TEXT NOT NULL UNIQUE, id INTEGER PRIMARY KEY, note TEXT DEFAULT 'none');
            INSERT INTO customer_new (city, name, email, id) SELECT city, name, email, id + 1000 FROM customer;
            DROP TABLE customer;
            ALTER TABLE customer_new RENAME TO customer;
            CREATE TABLE order_new (total REAL NOT NULL, status TEXT NOT NULL DEFAULT 'open', customer_id INTEGER NOT NULL REFERENCES customer(id), number TEXT NOT NULL UNIQUE, id INTEGER PRIMARY KEY);
            INSERT INTO order_new (total, customer_id, number, id) SELECT total, customer_id + 1000, number, id + 500 FROM "order";
            DROP TABLE "order";
            ALTER TABLE order_new RENAME TO "order";
            UPDATE customer SET loyalty = 7 WHERE email = 'c3@example.com';
            UPDATE customer SET name = 'Edited on target' WHERE email = 'c4@example.com';
            DELETE FROM "order" WHERE number = 'O-5';
            DELETE FROM "order" WHERE customer_id = 1006;
            DELETE FROM customer WHERE id = 1006;
            """,
        identities: [
            Identity("customer", "SELECT email, name || '|' || quote(city), id FROM customer"),
            Identity("order", #"SELECT o.number, quote(o.total) || '|' || quote(c.email), o.id FROM "order" o LEFT JOIN customer c ON c.id = o.customer_id"#),
        ],
        nextId: [#"INSERT INTO "order" (number, customer_id, total) VALUES ('probe', 1, 1.0)"#],
        targetInvariants: [
            "SELECT email, loyalty FROM customer WHERE email = 'c3@example.com' AND loyalty <> 7",
            "SELECT email, loyalty, note FROM customer WHERE loyalty IS NULL OR note IS NOT 'none'",
            #"SELECT number, status FROM "order" WHERE status IS NOT 'open'"#,
        ]
    )

    /// NUMERIC holding text, DATETIME strings (and numbers) in a natural key, booleans as 0/1
    /// (and one 'true'), DECIMAL, an untyped column.
    static let affinityQuirks = SchemaShape(
        name: "affinity_quirks",
        schema: """
            CREATE TABLE reading (id INTEGER PRIMARY KEY, sensor TEXT NOT NULL, taken_at DATETIME NOT NULL, value NUMERIC, flag BOOLEAN NOT NULL DEFAULT 0, price DECIMAL(10,2), raw, UNIQUE (sensor, taken_at));
            """,
        rows: """
            INSERT INTO reading (sensor, taken_at, value, flag, price, raw) VALUES
              ('s1', '2024-01-05 10:00:00', '12abc', 1, '19.99', x'00ff'),
              ('s1', '2024-01-05T10:00:00.123Z', '3.0', 0, '20', NULL),
              ('s1', 1704067200, '1e3', 1, 5, 'text in an untyped column'),
              ('s2', '2024-01-05 10:00:00', 'n/a', 0, '0.10', 1.5),
              ('s2', 1704067200.5, ' 42 ', 1, NULL, 42),
              ('s2', '2024-02-30', 7, 'true', '1,5', x''),
              ('s3', '2024-01-05 10:00:00', -0.0, 0, 1e308, '0x10'),
              ('s3', 'yesterday', 9223372036854775807, 1, '9223372036854775808', NULL),
              ('s3', '2024-01-06', '', 0, '  ', ' '),
              ('s4', '2024-01-05 10:00:00', 0.1, 1, 0.30000000000000004, 'end');
            """,
        target: """
            UPDATE reading SET id = 1000 - id;
            DELETE FROM reading WHERE sensor = 's2' AND taken_at = '2024-02-30';
            DELETE FROM reading WHERE sensor = 's1' AND taken_at = 1704067200;
            UPDATE reading SET value = 'edited on target' WHERE sensor = 's1' AND taken_at = '2024-01-05 10:00:00';
            UPDATE reading SET flag = 0 WHERE sensor = 's3' AND taken_at = 'yesterday';
            """,
        identities: [
            Identity("reading", "SELECT sensor || '|' || typeof(taken_at) || ':' || quote(taken_at), quote(value) || '|' || quote(flag) || '|' || quote(price) || '|' || quote(raw) || '|' || typeof(value) || typeof(price), id FROM reading"),
        ],
        nextId: ["INSERT INTO reading (sensor, taken_at) VALUES ('probe', 'probe')"]
    )

    // MARK: Framework-made schemas

    /// Rails (ActiveRecord 7): schema_migrations, ar_internal_metadata, datetime(6), boolean.
    static let railsSchema = SchemaShape(
        name: "rails_schema",
        schema: """
            CREATE TABLE IF NOT EXISTS "schema_migrations" ("version" varchar NOT NULL PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS "ar_internal_metadata" ("key" varchar NOT NULL PRIMARY KEY, "value" varchar, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL);
            CREATE TABLE IF NOT EXISTS "users" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "email" varchar DEFAULT '' NOT NULL, "name" varchar, "admin" boolean DEFAULT 0 NOT NULL, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL);
            CREATE UNIQUE INDEX "index_users_on_email" ON "users" ("email");
            CREATE TABLE IF NOT EXISTS "articles" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "title" varchar NOT NULL, "slug" varchar NOT NULL, "user_id" integer NOT NULL, "published" boolean DEFAULT 0 NOT NULL, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL, CONSTRAINT "fk_rails_3d31dad1cc"
            FOREIGN KEY ("user_id")
              REFERENCES "users" ("id")
            );
            CREATE INDEX "index_articles_on_user_id" ON "articles" ("user_id");
            CREATE UNIQUE INDEX "index_articles_on_slug" ON "articles" ("slug");
            CREATE TABLE IF NOT EXISTS "comments" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "article_id" integer NOT NULL, "user_id" integer NOT NULL, "body" text, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL, CONSTRAINT "fk_rails_3bf61a60d3"
            FOREIGN KEY ("article_id")
              REFERENCES "articles" ("id")
            , CONSTRAINT "fk_rails_03de2dc08c"
            FOREIGN KEY ("user_id")
              REFERENCES "users" ("id")
            );
            CREATE INDEX "index_comments_on_article_id" ON "comments" ("article_id");
            CREATE INDEX "index_comments_on_user_id" ON "comments" ("user_id");
            """,
        rows: """
            INSERT INTO "schema_migrations" ("version") VALUES ('20240101090000'), ('20240102090000'), ('20240103090000');
            INSERT INTO "ar_internal_metadata" ("key", "value", "created_at", "updated_at") VALUES ('environment', 'development', '2024-01-01 09:00:00.123456', '2024-01-01 09:00:00.123456'), ('schema_sha1', 'a9993e364706816aba3e25717850c26c9cd0d89d', '2024-01-01 09:00:00.123456', '2024-01-01 09:00:00.123456');
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 7)
            INSERT INTO "users" ("email", "name", "admin", "created_at", "updated_at") SELECT 'user' || i || '@example.com', CASE WHEN i = 2 THEN NULL ELSE 'User ' || i END, i = 1, '2024-02-0' || i || ' 08:00:00.000001', '2024-02-0' || i || ' 08:30:00.500000' FROM n;
            DELETE FROM "users" WHERE "id" = 7;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
            INSERT INTO "articles" ("title", "slug", "user_id", "published", "created_at", "updated_at") SELECT 'Article ' || i, 'article-' || i, 1 + i % 6, i % 2, '2024-03-' || printf('%02d', i) || ' 10:00:00.000000', '2024-03-' || printf('%02d', i) || ' 11:00:00.000000' FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 15)
            INSERT INTO "comments" ("article_id", "user_id", "body", "created_at", "updated_at") SELECT 1 + i % 10, 1 + (i * 7) % 6, 'Comment ' || i, '2024-04-01 12:00:' || printf('%02d', i) || '.000000', '2024-04-01 12:00:' || printf('%02d', i) || '.000000' FROM n;
            DELETE FROM "comments" WHERE "id" IN (3, 15);
            """,
        target: """
            UPDATE "users" SET "id" = "id" + 1000;
            UPDATE "articles" SET "user_id" = "user_id" + 1000, "id" = "id" + 2000;
            UPDATE "comments" SET "user_id" = "user_id" + 1000, "article_id" = "article_id" + 2000, "id" = 100 - "id";
            DELETE FROM "comments" WHERE "body" IN ('Comment 4', 'Comment 5');
            DELETE FROM "comments" WHERE "article_id" = 2010;
            DELETE FROM "articles" WHERE "id" = 2010;
            UPDATE "users" SET "name" = 'Edited on target', "updated_at" = '2024-06-01 00:00:00.000000' WHERE "email" = 'user3@example.com';
            UPDATE "articles" SET "published" = 1 - "published" WHERE "slug" = 'article-2';
            UPDATE "comments" SET "body" = 'Edited on target' WHERE "body" = 'Comment 6';
            """,
        profile: #"{"tables": {"comments": {"match": [["article_id", "user_id", "created_at"]]}}}"#,
        identities: [
            Identity("users", #"SELECT "email", quote("name") || '|' || "admin" || '|' || "created_at" || '|' || "updated_at", "id" FROM "users""#),
            Identity("articles", #"SELECT a."slug", a."title" || '|' || quote(u."email") || '|' || a."published" || '|' || a."created_at" || '|' || a."updated_at", a."id" FROM "articles" a LEFT JOIN "users" u ON u."id" = a."user_id""#),
            Identity("comments", #"SELECT a."slug" || '|' || u."email" || '|' || c."created_at", quote(c."body") || '|' || c."updated_at", c."id" FROM "comments" c LEFT JOIN "articles" a ON a."id" = c."article_id" LEFT JOIN "users" u ON u."id" = c."user_id""#),
        ],
        nextId: [
            #"INSERT INTO "users" ("email", "created_at", "updated_at") VALUES ('probe', 'now', 'now')"#,
            #"INSERT INTO "comments" ("article_id", "user_id", "created_at", "updated_at") VALUES (1, 1, 'now', 'now')"#,
        ],
        bookkeeping: ["schema_migrations", "ar_internal_metadata"]
    )

    /// Django (4.x/5.x) contrib.auth and contenttypes, as `manage.py migrate` writes them.
    static let djangoSchema = SchemaShape(
        name: "django_schema",
        schema: """
            CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL);
            CREATE TABLE "django_content_type" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app_label" varchar(100) NOT NULL, "model" varchar(100) NOT NULL);
            CREATE UNIQUE INDEX "django_content_type_app_label_model_76bd3d3b_uniq" ON "django_content_type" ("app_label", "model");
            CREATE TABLE "auth_permission" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "content_type_id" integer NOT NULL REFERENCES "django_content_type" ("id") DEFERRABLE INITIALLY DEFERRED, "codename" varchar(100) NOT NULL, "name" varchar(255) NOT NULL);
            CREATE UNIQUE INDEX "auth_permission_content_type_id_codename_01ab375a_uniq" ON "auth_permission" ("content_type_id", "codename");
            CREATE INDEX "auth_permission_content_type_id_2f476e4b" ON "auth_permission" ("content_type_id");
            CREATE TABLE "auth_group" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(150) NOT NULL UNIQUE);
            CREATE TABLE "auth_group_permissions" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "group_id" integer NOT NULL REFERENCES "auth_group" ("id") DEFERRABLE INITIALLY DEFERRED, "permission_id" integer NOT NULL REFERENCES "auth_permission" ("id") DEFERRABLE INITIALLY DEFERRED);
            CREATE UNIQUE INDEX "auth_group_permissions_group_id_permission_id_0cd325b0_uniq" ON "auth_group_permissions" ("group_id", "permission_id");
            CREATE INDEX "auth_group_permissions_group_id_b120cbf9" ON "auth_group_permissions" ("group_id");
            CREATE INDEX "auth_group_permissions_permission_id_84c5c92e" ON "auth_group_permissions" ("permission_id");
            CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL);
            CREATE TABLE "auth_user_groups" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "group_id" integer NOT NULL REFERENCES "auth_group" ("id") DEFERRABLE INITIALLY DEFERRED);
            CREATE UNIQUE INDEX "auth_user_groups_user_id_group_id_94350c0c_uniq" ON "auth_user_groups" ("user_id", "group_id");
            CREATE INDEX "auth_user_groups_user_id_6a12ed8b" ON "auth_user_groups" ("user_id");
            CREATE INDEX "auth_user_groups_group_id_97559544" ON "auth_user_groups" ("group_id");
            """,
        rows: """
            INSERT INTO "django_migrations" ("app", "name", "applied") VALUES ('contenttypes', '0001_initial', '2024-01-01 09:00:00.000001'), ('auth', '0001_initial', '2024-01-01 09:00:00.000002'),
              ('contenttypes', '0002_remove_content_type_name', '2024-01-01 09:00:00.000003'), ('auth', '0012_alter_user_first_name_max_length', '2024-01-01 09:00:00.000004');
            INSERT INTO "django_content_type" ("app_label", "model") VALUES ('auth', 'permission'), ('auth', 'group'), ('auth', 'user'), ('contenttypes', 'contenttype'), ('blog', 'post');
            INSERT INTO "auth_permission" ("content_type_id", "codename", "name")
            SELECT ct."id", a.verb || '_' || ct."model", 'Can ' || a.verb || ' ' || ct."model" FROM "django_content_type" ct,
              (SELECT 'add' AS verb UNION ALL SELECT 'change' UNION ALL SELECT 'delete' UNION ALL SELECT 'view') a ORDER BY ct."id", a.verb;
            INSERT INTO "auth_group" ("name") VALUES ('editors'), ('moderators'), ('readers'), ('retired');
            DELETE FROM "auth_group" WHERE "name" = 'retired';
            INSERT INTO "auth_group_permissions" ("group_id", "permission_id") SELECT g."id", p."id" FROM "auth_group" g, "auth_permission" p WHERE (g."id" * 7 + p."id") % 5 = 0;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 7)
            INSERT INTO "auth_user" ("password", "last_login", "is_superuser", "username", "last_name", "email", "is_staff", "is_active", "date_joined", "first_name")
            SELECT 'pbkdf2_sha256$720000$salt' || i || '$hash' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE '2024-05-0' || i || ' 10:00:00.123456' END, i = 1, 'user' || i, 'Last' || i, CASE WHEN i = 4 THEN '' ELSE 'user' || i || '@example.com' END, i <= 2, i <> 5, '2024-01-0' || i || ' 08:00:00', 'First' || i FROM n;
            INSERT INTO "auth_user_groups" ("user_id", "group_id") SELECT u."id", g."id" FROM "auth_user" u, "auth_group" g WHERE (u."id" + g."id") % 2 = 0;
            """,
        target: """
            UPDATE "django_content_type" SET "id" = "id" + 100;
            UPDATE "auth_permission" SET "content_type_id" = "content_type_id" + 100, "id" = 500 - "id";
            UPDATE "auth_group" SET "id" = "id" + 10;
            UPDATE "auth_group_permissions" SET "group_id" = "group_id" + 10, "permission_id" = 500 - "permission_id", "id" = "id" + 1000;
            UPDATE "auth_user" SET "id" = "id" + 1000;
            UPDATE "auth_user_groups" SET "user_id" = "user_id" + 1000, "group_id" = "group_id" + 10, "id" = "id" + 2000;
            DELETE FROM "auth_user_groups" WHERE "id" IN (SELECT "id" FROM "auth_user_groups" ORDER BY "id" LIMIT 2);
            DELETE FROM "auth_user_groups" WHERE "user_id" = 1006;
            DELETE FROM "auth_user" WHERE "id" = 1006;
            DELETE FROM "auth_group_permissions" WHERE "id" IN (SELECT "id" FROM "auth_group_permissions" ORDER BY "id" DESC LIMIT 1);
            UPDATE "auth_user" SET "last_login" = '2024-06-30 23:59:59.999999' WHERE "username" IN ('user2', 'user3');
            UPDATE "auth_permission" SET "name" = 'Edited on target' WHERE "codename" = 'view_post';
            """,
        identities: [
            Identity("django_content_type", #"SELECT "app_label" || '.' || "model", '', "id" FROM "django_content_type""#),
            Identity("auth_permission", #"SELECT ct."app_label" || '.' || ct."model" || '|' || p."codename", p."name", p."id" FROM "auth_permission" p LEFT JOIN "django_content_type" ct ON ct."id" = p."content_type_id""#),
            Identity("auth_group", #"SELECT "name", '', "id" FROM "auth_group""#),
            Identity("auth_group_permissions", #"SELECT g."name" || '|' || ct."app_label" || '.' || p."codename", '', gp."id" FROM "auth_group_permissions" gp LEFT JOIN "auth_group" g ON g."id" = gp."group_id" LEFT JOIN "auth_permission" p ON p."id" = gp."permission_id" LEFT JOIN "django_content_type" ct ON ct."id" = p."content_type_id""#),
            Identity("auth_user", #"SELECT "username", "password" || '|' || quote("last_login") || '|' || "is_superuser" || "is_staff" || "is_active" || '|' || "email" || '|' || "first_name" || ' ' || "last_name" || '|' || "date_joined", "id" FROM "auth_user""#),
            Identity("auth_user_groups", #"SELECT u."username" || '|' || g."name", '', ug."id" FROM "auth_user_groups" ug LEFT JOIN "auth_user" u ON u."id" = ug."user_id" LEFT JOIN "auth_group" g ON g."id" = ug."group_id""#),
        ],
        nextId: [
            #"INSERT INTO "auth_user" ("password", "is_superuser", "username", "last_name", "email", "is_staff", "is_active", "date_joined", "first_name") VALUES ('x', 0, 'probe', '', '', 0, 1, 'now', '')"#,
            #"INSERT INTO "auth_user_groups" ("user_id", "group_id") VALUES (99, 99)"#,
            #"INSERT INTO "auth_group" ("name") VALUES ('probe')"#,
        ],
        preparedVariant: true,
        bookkeeping: ["django_migrations"]
    )

    /// Prisma: `_prisma_migrations`, TEXT cuid ids, `"createdAt" DATETIME NOT NULL DEFAULT
    /// CURRENT_TIMESTAMP` (holding Prisma's integer milliseconds), an implicit many-to-many.
    static let prismaSchema = SchemaShape(
        name: "prisma_schema",
        schema: """
            CREATE TABLE "_prisma_migrations" (
                "id"                    TEXT PRIMARY KEY NOT NULL,
                "checksum"              TEXT NOT NULL,
                "finished_at"           DATETIME,
                "migration_name"        TEXT NOT NULL,
                "logs"                  TEXT,
                "rolled_back_at"        DATETIME,
                "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
                "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
            );
            CREATE TABLE "User" (
                "id" TEXT NOT NULL PRIMARY KEY,
                "email" TEXT NOT NULL,
                "name" TEXT,
                "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                "updatedAt" DATETIME NOT NULL
            );
            CREATE TABLE "Post" (
                "id" TEXT NOT NULL PRIMARY KEY,
                "title" TEXT NOT NULL,
                "published" BOOLEAN NOT NULL DEFAULT false,
                "authorId" TEXT NOT NULL,
                "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
            );
            CREATE TABLE "Category" (
                "id" TEXT NOT NULL PRIMARY KEY,
                "name" TEXT NOT NULL
            );
            CREATE TABLE "_CategoryToPost" (
                "A" TEXT NOT NULL,
                "B" TEXT NOT NULL,
                CONSTRAINT "_CategoryToPost_A_fkey" FOREIGN KEY ("A") REFERENCES "Category" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
                CONSTRAINT "_CategoryToPost_B_fkey" FOREIGN KEY ("B") REFERENCES "Post" ("id") ON DELETE CASCADE ON UPDATE CASCADE
            );
            CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
            CREATE UNIQUE INDEX "Category_name_key" ON "Category"("name");
            CREATE UNIQUE INDEX "_CategoryToPost_AB_unique" ON "_CategoryToPost"("A", "B");
            CREATE INDEX "_CategoryToPost_B_index" ON "_CategoryToPost"("B");
            """,
        rows: """
            INSERT INTO "_prisma_migrations" VALUES ('0f3c1a52-6a0e-4b8e-9a52-0d7c1f0e9a11', 'b2f0c4e1d9a8', 1704100000000, '20240101000000_init', NULL, NULL, 1704099999000, 1),
              ('5d2e8c71-1b3a-4f6d-8e2c-7a9b0c1d2e33', 'c3a1d5f2e0b9', 1704200000000, '20240102000000_categories', NULL, NULL, 1704199999000, 1);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6)
            INSERT INTO "User" ("id", "email", "name", "createdAt", "updatedAt") SELECT 'clu' || printf('%06d', i * 7919) || 'x0a', 'user' || i || '@example.com', CASE WHEN i = 3 THEN NULL ELSE 'User ' || i END, 1704067200000 + i * 1000, 1704067300000 + i * 1000 FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)
            INSERT INTO "Post" ("id", "title", "published", "authorId", "createdAt") SELECT 'clp' || printf('%06d', i * 104729 % 999983) || 'y1b', 'Post ' || i, i % 2 = 0, u."id", 1704153600000 + i FROM n JOIN (SELECT "id", row_number() OVER (ORDER BY "email") - 1 AS k FROM "User") u ON u.k = i % 6 ORDER BY i;
            INSERT INTO "Category" ("id", "name") VALUES ('clc000001z2c', 'news'), ('clc000002z2c', 'tech'), ('clc000003z2c', 'life'), ('clc000004z2c', 'misc');
            INSERT INTO "_CategoryToPost" ("A", "B") SELECT c."id", p."id" FROM "Category" c, "Post" p WHERE (length(p."title") + unicode(c."name") + CAST(substr(p."title", 6) AS INTEGER)) % 3 = 0;
            """,
        target: """
            UPDATE "_CategoryToPost" SET "A" = 'cm' || substr("A", 3), "B" = 'cm' || substr("B", 3);
            UPDATE "Post" SET "id" = 'cm' || substr("id", 3), "authorId" = 'cm' || substr("authorId", 3);
            UPDATE "User" SET "id" = 'cm' || substr("id", 3);
            UPDATE "Category" SET "id" = 'cm' || substr("id", 3);
            DELETE FROM "_CategoryToPost" WHERE rowid IN (SELECT rowid FROM "_CategoryToPost" ORDER BY rowid LIMIT 2);
            DELETE FROM "_CategoryToPost" WHERE "B" IN (SELECT "id" FROM "Post" WHERE "title" IN ('Post 12', 'Post 5'));
            DELETE FROM "Post" WHERE "title" IN ('Post 12', 'Post 5');
            UPDATE "Post" SET "published" = 1 - "published" WHERE "title" = 'Post 3';
            UPDATE "User" SET "name" = 'Edited on target' WHERE "email" = 'user2@example.com';
            """,
        profile: #"{"tables": {"Post": {"match": [["title", "authorId"]]}}}"#,
        identities: [
            Identity("User", #"SELECT "email", quote("name") || '|' || "createdAt" || '|' || "updatedAt", "id" FROM "User""#),
            Identity("Post", #"SELECT p."title" || '|' || u."email", p."published" || '|' || p."createdAt", p."id" FROM "Post" p LEFT JOIN "User" u ON u."id" = p."authorId""#),
            Identity("Category", #"SELECT "name", '', "id" FROM "Category""#),
            Identity("_CategoryToPost", #"SELECT c."name" || '|' || p."title", '', j."A" || ',' || j."B" FROM "_CategoryToPost" j LEFT JOIN "Category" c ON c."id" = j."A" LEFT JOIN "Post" p ON p."id" = j."B""#),
        ],
        preparedVariant: true,
        bookkeeping: ["_prisma_migrations"]
    )
}
