import Foundation
import Testing
@testable import FerryKit
@testable import FerrySQLite
@testable import FerryPostgres

/// Issue 17, on random schedules: one Prisma model kept by a laptop in SQLite (DateTime as
/// integer milliseconds, Boolean as 0/1, Decimal, BigInt, Bytes as a BLOB, Json as text)
/// and by the cloud in PostgreSQL (timestamp(3), boolean, decimal(65,30), bigint, bytea,
/// jsonb). Each side edits its own rows; whatever the order of the exchanges, both end equal
/// to a model of every edit, in each store's own forms, with no conflict and no reject, and
/// a further exchange ships nothing and updates nothing. A value that two engines print
/// differently must never count as an edit.
@Suite(.enabled(if: PostgresTestServer.enabled)) struct PrismaPairSyncTests {
    static let sqliteSchema = """
        CREATE TABLE "Post" ("id" TEXT NOT NULL PRIMARY KEY, "slug" TEXT NOT NULL UNIQUE, "createdAt" DATETIME NOT NULL,
                             "published" BOOLEAN NOT NULL DEFAULT false, "price" DECIMAL, "views" BIGINT NOT NULL, "cover" BLOB, "meta" JSONB);
        CREATE TABLE "Comment" ("id" TEXT NOT NULL PRIMARY KEY, "postId" TEXT NOT NULL REFERENCES "Post" ("id") ON DELETE CASCADE,
                                "body" TEXT NOT NULL, "at" DATETIME NOT NULL);
        PRAGMA foreign_keys = ON;
        -- As `prisma migrate` makes it: the database says it is Prisma's.
        CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL,
                                           "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
                                           "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0);
        INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name") VALUES ('m1', 'c', '2024-01-01 00:00:00', '20240101_init');
        """
    static let postgresSchema = """
        CREATE TABLE "Post" ("id" TEXT NOT NULL PRIMARY KEY, "slug" TEXT NOT NULL UNIQUE, "createdAt" TIMESTAMP(3) NOT NULL,
                             "published" BOOLEAN NOT NULL DEFAULT false, "price" DECIMAL(65,30), "views" BIGINT NOT NULL, "cover" BYTEA, "meta" JSONB);
        CREATE TABLE "Comment" ("id" TEXT NOT NULL PRIMARY KEY, "postId" TEXT NOT NULL REFERENCES "Post" ("id") ON DELETE CASCADE,
                                "body" TEXT NOT NULL, "at" TIMESTAMP(3) NOT NULL);
        """

    /// Set per test: the laptop keeps moments as Django does, text such as
    /// `2024-01-05 10:30:00.123000` (six digits, none when zero), in a database Prisma
    /// never migrated.
    @TaskLocal static var djangoMoments = false

    /// Django's spelling of a moment given in milliseconds.
    static func djangoText(_ ms: Int64) -> String {
        let text = PostgresTypes.timestampText(epoch: ms, withZone: false, unit: 1)!
        guard let dot = text.firstIndex(of: ".") else { return text }
        return String(text[...dot]) + String(text[text.index(after: dot)...]).padding(toLength: 6, withPad: "0", startingAt: 0)
    }

    /// A moment as the laptop holds it, in milliseconds; nil when it is not in the form its
    /// application writes (Django's text, or Prisma's integer).
    static func laptopMoment(_ value: Value) -> Int64? {
        if djangoMoments {
            guard case .text(let bytes) = value else { return nil }
            let text = String(decoding: bytes, as: UTF8.self)
            guard let ms = EpochMilliseconds.parse(text), text == djangoText(ms) else { return nil }
            return ms
        }
        guard case .integer(let ms) = value else { return nil }
        return ms
    }

    struct Post: Equatable, CustomStringConvertible {
        var createdAt: Int64 // milliseconds since 1970
        var published: Bool
        var priceCents: Int64?
        var views: Int64
        var cover: [UInt8]?
        var meta: Int64? // {"n": meta}
        var description: String { "\(createdAt) \(published) \(priceCents.map(String.init) ?? "-") \(views) \(cover.map { $0.map { String(format: "%02x", $0) }.joined() } ?? "-") \(meta.map(String.init) ?? "-")" }
    }

    struct Model: Equatable {
        var posts: [String: Post] = [:] // slug → post
        var comments: [String: String] = [:] // body → "slug@at"
    }

    final class Side {
        let name: String
        let store: Store
        let isPostgres: Bool
        let execute: (String) throws -> Void
        let query: (String) throws -> [[Value]]
        var exported = false
        var nextId = 0

        init(_ name: String, sqlite path: String) throws {
            let local = try SQLiteStore(path: path, mode: .readWriteCreate)
            (self.name, store, isPostgres) = (name, local, false)
            execute = { try local.database.execute($0) }
            query = { try local.database.rows($0) }
            // Django's own bookkeeping: a migration applied, its moment in Django's spelling.
            let django = #"CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL); INSERT INTO django_migrations (app, name, applied) VALUES ('blog', '0001_initial', '2024-01-05 10:30:00.123456');"#
            try execute(PrismaPairSyncTests.djangoMoments ? PrismaPairSyncTests.sqliteSchema.components(separatedBy: "-- As `prisma migrate`")[0] + django : PrismaPairSyncTests.sqliteSchema)
            _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
        }

        init(_ name: String, postgres uri: String) throws {
            let cloud = try PostgresStore(uri: uri)
            (self.name, store, isPostgres) = (name, cloud, true)
            execute = { try cloud.connection.execute($0) }
            query = { try cloud.connection.rows($0) }
            try execute(PrismaPairSyncTests.postgresSchema)
            _ = try Preparer.prepare(store: store, tables: nil, profile: .empty)
        }

        func id() -> String {
            nextId += 1
            return "\(name)\(nextId)-\(UUID().uuidString.prefix(6))"
        }

        // Each value as this side's application writes it.
        func moment(_ ms: Int64) -> String {
            isPostgres ? "(TIMESTAMP '1970-01-01' + \(ms) * INTERVAL '1 millisecond')" : PrismaPairSyncTests.djangoMoments ? "'\(PrismaPairSyncTests.djangoText(ms))'" : "\(ms)"
        }
        func flag(_ value: Bool) -> String { isPostgres ? "\(value)" : (value ? "1" : "0") }
        func price(_ cents: Int64?) -> String {
            guard let cents else { return "NULL" }
            return "\(cents < 0 ? "-" : "")\(abs(cents) / 100).\(String(format: "%02d", abs(cents) % 100))"
        }
        func bytes(_ value: [UInt8]?) -> String {
            guard let value else { return "NULL" }
            let hex = value.map { String(format: "%02x", $0) }.joined()
            return isPostgres ? "'\\x\(hex)'::bytea" : "X'\(hex)'"
        }
        func json(_ n: Int64?) -> String { n.map { isPostgres ? "'{\"n\": \($0)}'" : "'{\"n\":\($0)}'" } ?? "NULL" }

        /// The posts and comments as this store holds them, read back into the model's terms;
        /// a value in a form the store's application would not write is reported as such.
        func state() throws -> (Model, [String]) {
            var model = Model(), odd: [String] = []
            let posts = isPostgres
                ? #"SELECT slug, (extract(epoch FROM "createdAt") * 1000)::bigint, published::int, (price * 100)::bigint, views, encode(cover, 'hex'), meta::text FROM "Post""#
                : #"SELECT slug, "createdAt", published, CAST(round(price * 100) AS INTEGER), views, iif(cover IS NULL, NULL, hex(cover)), meta FROM "Post""#
            for row in try query(posts) {
                var moment: Int64?
                if isPostgres { if case .integer(let ms) = row[1] { moment = ms } } else { moment = PrismaPairSyncTests.laptopMoment(row[1]) }
                guard case .text(let slugBytes) = row[0], let createdAt = moment, case .integer(let published) = row[2],
                      case .integer(let views) = row[4], published == 0 || published == 1 else {
                    odd.append("\(name) post \(row.map(\.description))")
                    continue
                }
                var cover: [UInt8]?
                if case .text(let hex) = row[5] {
                    let text = String(decoding: hex, as: UTF8.self).lowercased()
                    cover = stride(from: 0, to: text.count, by: 2).map { UInt8(text.dropFirst($0).prefix(2), radix: 16)! }
                }
                var meta: Int64?
                if case .text(let json) = row[6] {
                    // Compact JSON on SQLite, as Prisma writes it; jsonb's own print on PostgreSQL.
                    let text = String(decoding: json, as: UTF8.self)
                    let prefix = isPostgres ? "{\"n\": " : "{\"n\":"
                    if text.hasPrefix(prefix), text.hasSuffix("}"), let n = Int64(text.dropFirst(prefix.count).dropLast()) { meta = n } else { odd.append("\(name) meta \(text)") }
                }
                var cents: Int64?
                if case .integer(let value) = row[3] { cents = value }
                model.posts[String(decoding: slugBytes, as: UTF8.self)] = Post(createdAt: createdAt, published: published == 1, priceCents: cents, views: views, cover: cover, meta: meta)
            }
            let comments = isPostgres
                ? #"SELECT c.body, p.slug || '@' || (extract(epoch FROM c."at") * 1000)::bigint FROM "Comment" c JOIN "Post" p ON p.id = c."postId""#
                : #"SELECT c.body, p.slug, c."at" FROM "Comment" c JOIN "Post" p ON p.id = c."postId""#
            for row in try query(comments) {
                var at = row[1].string!
                if !isPostgres {
                    guard let ms = PrismaPairSyncTests.laptopMoment(row[2]) else {
                        odd.append("\(name) comment at \(row.map(\.description))")
                        continue
                    }
                    at += "@\(ms)"
                }
                let body = row[0].string!
                model.comments[body] = model.comments[body] == nil ? at : "duplicate"
            }
            return (model, odd)
        }
    }

    /// One random edit by `side` to a row it owns (slugs and bodies carry its name).
    static func edit(_ side: Side, model: inout Model, random: inout SplitMix64) throws {
        func pick(_ range: ClosedRange<Int64>) -> Int64 { Int64.random(in: range, using: &random) }
        func maybe() -> Bool { Bool.random(using: &random) }
        let mine = model.posts.keys.filter { $0.hasPrefix(side.name + "-") }.sorted()
        let myComments = model.comments.keys.filter { $0.hasPrefix(side.name + "-") }.sorted()
        // Moments anywhere from 1970 to 2100, to the millisecond; some before 1970.
        func moment() -> Int64 { maybe() ? pick(-86_400_000 * 365 * 20...4_102_444_800_000) : pick(1_600_000_000_000...1_800_000_000_000) / 1000 * 1000 }
        func cents() -> Int64? { maybe() ? pick(-999_999_99...999_999_99) : nil }
        func cover() -> [UInt8]? { maybe() ? (0..<Int(pick(0...6))).map { _ in UInt8(pick(0...255)) } : nil }
        func meta() -> Int64? { maybe() ? pick(-1000...1000) : nil }
        switch Int.random(in: 0..<7, using: &random) {
        case 0, 1:
            let slug = "\(side.name)-\(side.nextId + 1)"
            let post = Post(createdAt: moment(), published: maybe(), priceCents: cents(), views: pick(0...(1 << 62)), cover: cover(), meta: meta())
            try side.execute("""
                INSERT INTO "Post" (id, slug, "createdAt", published, price, views, cover, meta) VALUES ('\(side.id())', '\(slug)', \(side.moment(post.createdAt)), \(side.flag(post.published)), \(side.price(post.priceCents)),
                                          \(post.views), \(side.bytes(post.cover)), \(side.json(post.meta)))
                """)
            model.posts[slug] = post
        case 2:
            guard let slug = mine.randomElement(using: &random) else { return }
            var post = model.posts[slug]!
            var sets: [String] = []
            if maybe() { post.createdAt = moment(); sets.append("\"createdAt\" = \(side.moment(post.createdAt))") }
            if maybe() { post.published.toggle(); sets.append("published = \(side.flag(post.published))") }
            if maybe() { post.priceCents = cents(); sets.append("price = \(side.price(post.priceCents))") }
            if maybe() { post.views = pick(0...(1 << 62)); sets.append("views = \(post.views)") }
            if maybe() { post.cover = cover(); sets.append("cover = \(side.bytes(post.cover))") }
            if maybe() { post.meta = meta(); sets.append("meta = \(side.json(post.meta))") }
            guard !sets.isEmpty else { return }
            try side.execute("UPDATE \"Post\" SET \(sets.joined(separator: ", ")) WHERE slug = '\(slug)'")
            model.posts[slug] = post
        case 3:
            guard let slug = mine.randomElement(using: &random) else { return }
            try side.execute("DELETE FROM \"Post\" WHERE slug = '\(slug)'") // and its comments
            model.posts[slug] = nil
            model.comments = model.comments.filter { !$0.value.hasPrefix(slug + "@") }
        case 4:
            guard let slug = mine.randomElement(using: &random) else { return }
            let body = "\(side.name)-comment-\(side.id())", at = moment()
            try side.execute("INSERT INTO \"Comment\" (id, \"postId\", body, \"at\") VALUES ('\(side.id())', (SELECT id FROM \"Post\" WHERE slug = '\(slug)'), '\(body)', \(side.moment(at)))")
            model.comments[body] = "\(slug)@\(at)"
        case 5:
            guard let body = myComments.randomElement(using: &random) else { return }
            let at = moment()
            try side.execute("UPDATE \"Comment\" SET \"at\" = \(side.moment(at)) WHERE body = '\(body)'")
            model.comments[body] = model.comments[body]!.split(separator: "@")[0] + "@\(at)"
        default:
            guard let body = myComments.randomElement(using: &random) else { return }
            try side.execute("DELETE FROM \"Comment\" WHERE body = '\(body)'")
            model.comments[body] = nil
        }
    }

    /// Exports `from` (incrementally once it has exported before, when asked) and imports it
    /// into `into`; returns the rows shipped and the import's totals.
    static func carry(_ from: Side, to into: Side, incremental: Bool, in directory: URL, log: inout [String]) throws -> (shipped: Int, totals: ImportReport.Counts) {
        let path = directory.appendingPathComponent("\(from.name)-\(UUID().uuidString.prefix(8))").path
        let summary = try Exporter(store: from.store, options: ExportOptions(incremental: incremental && from.exported)).export(to: path)
        from.exported = true
        if ProcessInfo.processInfo.environment["FERRY_CONVERGENCE_TRACE"] != nil {
            let reader = try ChangesetReader(path: summary.path)
            for table in reader.manifest.tables {
                try reader.forEachRecord(in: table) { _, _, line in log.append("    \(String(decoding: line, as: UTF8.self))") }
            }
        }
        let name = UUID().uuidString.prefix(8)
        let report = try Importer(store: into.store, changeset: try ChangesetReader(path: summary.path), options: ImportOptions(
            rejectsPath: directory.appendingPathComponent("rejects-\(name).ndjson").path,
            conflictsPath: directory.appendingPathComponent("conflicts-\(name).ndjson").path)).run()
        let shipped = summary.manifest.tables.reduce(0) { $0 + $1.rows }
        log.append("\(from.name) → \(into.name)\(incremental ? " (incremental)" : ""): \(shipped) shipped; \(report.totals.pairs.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", "))")
        if report.totals.conflicts > 0 || report.totals.rejected > 0 {
            let files = [report.conflictsFile, report.rejectsFile].compactMap { $0 }.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
            throw FerryError(.data, "conflicts or rejects where no edit overlaps:\n" + (log + files).joined(separator: "\n"))
        }
        return (shipped, report.totals)
    }

    static func run(seed: UInt64, in directory: URL, cloud uri: String) throws -> String? {
        var random = SplitMix64(seed: seed)
        let laptop = try Side("l", sqlite: directory.appendingPathComponent("laptop.db").path)
        let cloud = try Side("c", postgres: uri)
        var model = Model(), log: [String] = []
        for round in 0..<Int.random(in: 3...7, using: &random) {
            for _ in 0..<Int.random(in: 1...4, using: &random) { try edit(laptop, model: &model, random: &random) }
            for _ in 0..<Int.random(in: 1...4, using: &random) { try edit(cloud, model: &model, random: &random) }
            let incremental = Bool.random(using: &random)
            log.append("round \(round)")
            switch Int.random(in: 0..<3, using: &random) {
            case 0: _ = try carry(laptop, to: cloud, incremental: incremental, in: directory, log: &log)
            case 1: _ = try carry(cloud, to: laptop, incremental: incremental, in: directory, log: &log)
            default:
                // Both export before either imports.
                let up = directory.appendingPathComponent("up-\(round)").path, down = directory.appendingPathComponent("down-\(round)").path
                let fromLaptop = try Exporter(store: laptop.store, options: ExportOptions(incremental: incremental && laptop.exported)).export(to: up)
                let fromCloud = try Exporter(store: cloud.store, options: ExportOptions(incremental: incremental && cloud.exported)).export(to: down)
                (laptop.exported, cloud.exported) = (true, true)
                for (changeset, target) in [(fromLaptop.path, cloud), (fromCloud.path, laptop)] {
                    let report = try Importer(store: target.store, changeset: try ChangesetReader(path: changeset), options: ImportOptions(
                        rejectsPath: changeset + ".rejects", conflictsPath: changeset + ".conflicts")).run()
                    log.append("crossing into \(target.name): \(report.totals.pairs.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", "))")
                    if report.totals.conflicts > 0 || report.totals.rejected > 0 {
                        let files = [report.conflictsFile, report.rejectsFile].compactMap { $0 }.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
                        throw FerryError(.data, "conflicts or rejects where no edit overlaps:\n" + (log + files).joined(separator: "\n"))
                    }
                }
            }
        }
        log.append("final (full)")
        _ = try carry(laptop, to: cloud, incremental: false, in: directory, log: &log)
        _ = try carry(cloud, to: laptop, incremental: false, in: directory, log: &log)
        var failures: [String] = []
        for side in [laptop, cloud] {
            let (state, odd) = try side.state()
            failures += odd
            if state.posts != model.posts {
                let keys = Set(state.posts.keys).union(model.posts.keys).filter { state.posts[$0] != model.posts[$0] }.sorted()
                failures += keys.map { "\(side.name) holds \($0) as \(state.posts[$0]?.description ?? "nothing"), the model \(model.posts[$0]?.description ?? "nothing")" }
            }
            if state.comments != model.comments { failures.append("\(side.name) comments \(state.comments.sorted { $0.key < $1.key }) against \(model.comments.sorted { $0.key < $1.key })") }
        }
        // Quiet: a store relays the rows it took since its last export (a hub's duty), so the
        // first incremental round may echo them, changing nothing; the next ships nothing.
        // And a full changeset each way changes no row.
        for (from, to) in [(laptop, cloud), (cloud, laptop)] {
            let echo = try carry(from, to: to, incremental: true, in: directory, log: &log).totals
            if echo.updated + echo.inserted + echo.deleted > 0 { failures.append("an echo from \(from.name) after convergence changed rows: \(echo.pairs.filter { $0.1 > 0 })") }
        }
        let quietUp = try carry(laptop, to: cloud, incremental: true, in: directory, log: &log)
        let quietDown = try carry(cloud, to: laptop, incremental: true, in: directory, log: &log)
        if quietUp.shipped + quietDown.shipped > 0 {
            failures.append("an exchange after convergence shipped \(quietUp.shipped) and \(quietDown.shipped) rows")
            if ProcessInfo.processInfo.environment["FERRY_CONVERGENCE_TRACE"] != nil {
                for side in [laptop, cloud] {
                    let path = directory.appendingPathComponent("trace-\(side.name)").path
                    let summary = try Exporter(store: side.store, options: ExportOptions(incremental: true)).export(to: path)
                    let reader = try ChangesetReader(path: summary.path)
                    for table in reader.manifest.tables {
                        try reader.forEachRecord(in: table) { _, _, line in failures.append("again from \(side.name): \(String(decoding: line, as: UTF8.self))") }
                    }
                }
            }
        }
        for (from, to) in [(laptop, cloud), (cloud, laptop)] {
            let full = try carry(from, to: to, incremental: false, in: directory, log: &log).totals
            if full.updated + full.inserted + full.deleted > 0 { failures.append("a full changeset from \(from.name) after convergence changed rows: \(full.pairs.filter { $0.1 > 0 })") }
        }
        return failures.isEmpty ? nil : (failures + log).joined(separator: "\n")
    }

    /// A laptop holding one post, and the cloud, for `body` (with a log for its messages).
    static func withPair(in directory: URL, _ body: (Side, Side, inout [String]) throws -> Void) throws {
        try PostgresTestServer.withDatabase { uri in
            let laptop = try Side("l", sqlite: directory.appendingPathComponent("laptop.db").path)
            let cloud = try Side("c", postgres: uri)
            try laptop.execute(#"INSERT INTO "Post" (id, slug, "createdAt", published, views) VALUES ('l1', 'l-1', 1704450600123, 1, 5)"#)
            var log: [String] = []
            try body(laptop, cloud, &log)
        }
    }

    /// A post made in the cloud lands on the laptop in the laptop's form (milliseconds); the
    /// laptop relays it once (it cannot know who takes its next changeset), the cloud finds
    /// it unchanged, and then nothing ships.
    @Test func aRowMadeInTheCloudLandsInTheLaptopsFormAndGoesQuiet() throws {
        try withTemporaryDirectory { directory in
            try Self.withPair(in: directory) { laptop, cloud, log in
                _ = try Self.carry(laptop, to: cloud, incremental: false, in: directory, log: &log)
                _ = try Self.carry(cloud, to: laptop, incremental: false, in: directory, log: &log)
                try cloud.execute(#"INSERT INTO "Post" (id, slug, "createdAt", published, views) VALUES ('c1', 'c-1', '2022-07-27 10:31:21', true, 7)"#)
                let down = try Self.carry(cloud, to: laptop, incremental: true, in: directory, log: &log)
                #expect(down.totals.inserted == 1)
                #expect(try laptop.query(#"SELECT typeof("createdAt"), "createdAt" FROM "Post" WHERE slug = 'c-1'"#).first == [.text("integer"), .integer(1_658_917_881_000)])
                let echo = try Self.carry(laptop, to: cloud, incremental: true, in: directory, log: &log)
                #expect(echo.totals.unchanged == echo.shipped && echo.totals.updated == 0, "\(log.joined(separator: "\n"))")
                #expect(try Self.carry(cloud, to: laptop, incremental: true, in: directory, log: &log).shipped == 0)
                #expect(try Self.carry(laptop, to: cloud, incremental: true, in: directory, log: &log).shipped == 0)
            }
        }
    }

    /// A table with no rows yet says nothing of how it keeps moments: it keeps them as the
    /// database's other date-time columns do (here Prisma's milliseconds), not as the
    /// cloud's text, which its own rows would then have mixed with for good.
    @Test func anEmptyDateTimeColumnKeepsMomentsAsTheRestOfTheDatabase() throws {
        try withTemporaryDirectory { directory in
            try Self.withPair(in: directory) { laptop, cloud, log in
                _ = try Self.carry(laptop, to: cloud, incremental: false, in: directory, log: &log)
                try cloud.execute(#"INSERT INTO "Comment" (id, "postId", body, "at") VALUES ('k1', 'l1', 'first', '2024-01-06 08:00:00.250')"#)
                _ = try Self.carry(cloud, to: laptop, incremental: false, in: directory, log: &log)
                #expect(try laptop.query(#"SELECT typeof("at"), "at" FROM "Comment""#).first == [.text("integer"), .integer(1_704_528_000_250)])
                // The laptop's own comments then cross unchanged, as the same moments.
                try laptop.execute(#"INSERT INTO "Comment" (id, "postId", body, "at") VALUES ('k2', 'l1', 'second', 1704528001000)"#)
                let up = try Self.carry(laptop, to: cloud, incremental: true, in: directory, log: &log)
                #expect(up.totals.inserted == 1 && up.totals.updated == 0, "\(log.joined(separator: "\n"))")
                #expect(try cloud.query(#"SELECT "at"::text FROM "Comment" WHERE body = 'second'"#).first == [.text("2024-01-06 08:00:01")])
            }
        }
    }

    /// A laptop Prisma has just migrated, with no moment anywhere yet, takes the cloud's
    /// moments as its native connector keeps a DateTime (milliseconds); a database that
    /// says nothing of itself keeps the text that came.
    @Test(arguments: [true, false])
    func aNewPrismaDatabaseKeepsTheCloudsMomentsAsMilliseconds(migratedByPrisma: Bool) throws {
        try withTemporaryDirectory { directory in
            try PostgresTestServer.withDatabase { uri in
                let cloud = try Side("c", postgres: uri)
                try cloud.execute(#"INSERT INTO "Post" (id, slug, "createdAt", published, views) VALUES ('c1', 'c-1', '2024-01-05 10:30:00.123', true, 7)"#)
                let laptop = try SQLiteStore(path: directory.appendingPathComponent("new.db").path, mode: .readWriteCreate)
                let schema = Self.sqliteSchema.components(separatedBy: "-- As `prisma migrate`")[0]
                try laptop.database.execute(schema + (migratedByPrisma ? #"CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY, "started_at" DATETIME NOT NULL DEFAULT current_timestamp);"# : ""))
                let changeset = try Exporter(store: cloud.store, options: ExportOptions()).export(to: directory.appendingPathComponent("cloud").path)
                let report = try importChangeset(changeset.path, into: laptop, in: directory)
                #expect(report.totals.inserted == 1 && report.totals.rejected == 0)
                let held = try laptop.database.rows(#"SELECT "createdAt" FROM "Post""#).first?.first
                #expect(held == (migratedByPrisma ? .integer(1_704_450_600_123) : .text("2024-01-05 10:30:00.123")))
            }
        }
    }

    /// A count's size cannot tell milliseconds near 1970 from seconds: the export tells each
    /// column's unit from the whole column (in a database Prisma migrates, milliseconds),
    /// and PostgreSQL reads every count of it so. A birthday in February 1970 became one
    /// in 2099 (found by the schedules below).
    @Test func momentsNear1970CrossInTheirColumnsUnit() throws {
        try withTemporaryDirectory { directory in
            try PostgresTestServer.withDatabase { uri in
                let cloud = try Side("c", postgres: uri)
                try cloud.execute(#"CREATE TABLE "Log" ("id" TEXT PRIMARY KEY, "ms" TIMESTAMP(3), "secs" TIMESTAMP(3))"#)
                // A Prisma laptop: milliseconds, however small.
                let laptop = try Side("l", sqlite: directory.appendingPathComponent("laptop.db").path)
                try laptop.execute(#"INSERT INTO "Post" (id, slug, "createdAt", published, views) VALUES ('l1', 'l-1', 4101623367, 1, 5)"#)
                // Another application's database: its units told by each column's largest count.
                let other = try SQLiteStore(path: directory.appendingPathComponent("other.db").path, mode: .readWriteCreate)
                try other.database.execute("""
                    CREATE TABLE "Log" ("id" TEXT PRIMARY KEY, "ms" DATETIME, "secs" DATETIME);
                    INSERT INTO "Log" VALUES ('a', 4101623367, 1704450600), ('b', 1704450600123, 1704450601);
                    """)
                let fromLaptop = try Exporter(store: laptop.store, options: ExportOptions()).export(to: directory.appendingPathComponent("laptop").path)
                #expect(fromLaptop.manifest.tables.first { $0.name == "Post" }?.definition.columns.first { $0.name == "createdAt" }?.epochUnit == 1)
                let fromOther = try Exporter(store: other, options: ExportOptions()).export(to: directory.appendingPathComponent("other").path)
                let logColumns = fromOther.manifest.tables.first { $0.name == "Log" }?.definition.columns
                #expect(logColumns?.map(\.epochUnit) == [nil, 1, 1000])
                #expect(try importChangeset(fromLaptop.path, into: cloud.store, in: directory).totals.inserted == 1)
                #expect(try importChangeset(fromOther.path, into: cloud.store, in: directory).totals.inserted == 2)
                #expect(try cloud.query(#"SELECT "createdAt"::text FROM "Post""#).first == [.text("1970-02-17 11:20:23.367")])
                #expect(try cloud.query(#"SELECT "ms"::text || ' ' || "secs"::text FROM "Log" ORDER BY id"#).map { $0[0] }
                            == [.text("1970-02-17 11:20:23.367 2024-01-05 10:30:00"), .text("2024-01-05 10:30:00.123 2024-01-05 10:30:01")])
            }
        }
    }

    /// Found by a tester: the smallest 64-bit integer in a date-time column failed the whole
    /// export (SQLite's `abs` overflows on it); one far-off placeholder (9999-12-31 in
    /// seconds) turned a column of seconds into milliseconds, every real date into 1970;
    /// an integer bound for a PostgreSQL `date` went in as the date its digits spell
    /// (20230101 as 2023-01-01).
    @Test func countsAtTheEdgesAndIntoADate() throws {
        try withTemporaryDirectory { directory in
            let local = try SQLiteStore(path: directory.appendingPathComponent("edges.db").path, mode: .readWriteCreate)
            try local.database.execute("""
                CREATE TABLE ev (id INTEGER PRIMARY KEY, at DATETIME, until DATETIME, d DATE);
                INSERT INTO ev VALUES (1, -9223372036854775808, 1700000000, 86400), (2, 5, 253402300799, 20230101), (3, NULL, 1700000001, NULL);
                """)
            let summary = try Exporter(store: local, options: ExportOptions()).export(to: directory.appendingPathComponent("edges").path)
            let units = summary.manifest.tables.first?.definition.columns.map(\.epochUnit)
            #expect(units == [nil, 1, 1000, 1000], "at least half the counts decide, not the largest (the smallest integer is counted without overflow)")
            try PostgresTestServer.withDatabase { uri in
                let cloud = try PostgresStore(uri: uri)
                try cloud.connection.execute("CREATE TABLE ev (id bigint PRIMARY KEY, at bigint, until timestamptz, d date)")
                let report = try importChangeset(summary.path, into: cloud, in: directory)
                #expect(report.totals.inserted == 2 && report.totals.rejected == 1)
                let rejects = try String(contentsOfFile: report.rejectsFile ?? "", encoding: .utf8)
                #expect(rejects.contains("column d is a date") && rejects.contains("20230101"), "\(rejects)")
                let rows = try cloud.connection.query("SELECT id || ' ' || coalesce(until::text, '-') || ' ' || coalesce(d::text, '-') FROM ev ORDER BY id")
                #expect((0..<rows.rowCount).map { rows.string(row: $0, column: 0) } == ["1 2023-11-14 22:13:20+00 1970-01-02", "3 2023-11-14 22:13:21+00 -"])
            }
        }
    }

    /// A PostgreSQL `date` reads each count in the unit the changeset gives its column, also
    /// where a write adapts the row again (86400 milliseconds went in as 1970-01-02), and
    /// the smallest 64-bit integer is a reject, not a crash (a second tester).
    @Test func aDateColumnReadsCountsInTheChangesetsUnit() throws {
        try withTemporaryDirectory { directory in
            let local = try SQLiteStore(path: directory.appendingPathComponent("u.db").path, mode: .readWriteCreate)
            try local.database.execute("""
                CREATE TABLE ev (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, d DATE);
                INSERT INTO ev VALUES (1, 'a', 1704412800000), (2, 'ms86400', 86400), (3, 's1704412800', 1704412800), (4, 'smallest', -9223372036854775808);
                """)
            let summary = try Exporter(store: local, options: ExportOptions()).export(to: directory.appendingPathComponent("u").path)
            #expect(summary.manifest.tables.first?.definition.columns.last?.epochUnit == 1)
            try PostgresTestServer.withDatabase { uri in
                let cloud = try PostgresStore(uri: uri)
                try cloud.connection.execute("CREATE TABLE ev (id bigserial PRIMARY KEY, name text UNIQUE NOT NULL, d date)")
                let report = try importChangeset(summary.path, into: cloud, in: directory)
                #expect(report.totals.inserted == 1 && report.totals.rejected == 3, "\(report.table())")
                #expect(try cloud.connection.rows("SELECT name || ' ' || d::text FROM ev") == [[.text("a 2024-01-05")]])
            }
        }
    }

    /// A moment past 9999 crosses into PostgreSQL and comes back the same count (it came
    /// back as text); one before year 1 is rejected saying so, not in PostgreSQL's words
    /// ("time zone displacement out of range"). Both found by the first tester.
    @Test func momentsPastNineThousandNineHundredNinetyNineComeBackAndBeforeYearOneAreRefusedClearly() throws {
        try withTemporaryDirectory { directory in
            try Self.withPair(in: directory) { laptop, cloud, log in
                try laptop.execute(#"INSERT INTO "Post" (id, slug, "createdAt", published, views) VALUES ('l2', 'far', 253402300800000, 1, 5), ('l3', 'bc', -62198755200000, 1, 5)"#)
                let up = try Self.carryAllowingRejects(laptop, to: cloud, in: directory)
                #expect(up.totals.inserted == 2 && up.totals.rejected == 1, "\(up.table())")
                #expect(try String(contentsOfFile: up.rejectsFile ?? "", encoding: .utf8).contains("falls before year 1"))
                #expect(try cloud.query(#"SELECT "createdAt"::text FROM "Post" WHERE slug = 'far'"#).first == [.text("10000-01-01 00:00:00")])
                let down = try Self.carryAllowingRejects(cloud, to: laptop, in: directory)
                #expect(down.totals.unchanged == 2 && down.totals.updated == 0 && down.totals.conflicts == 0, "\(down.table())")
                #expect(try laptop.query(#"SELECT "createdAt" FROM "Post" WHERE slug = 'far'"#).first == [.integer(253_402_300_800_000)])
                _ = log
            }
        }
    }

    /// A full export of `from` imported into `into`, its report whatever it holds.
    static func carryAllowingRejects(_ from: Side, to into: Side, in directory: URL) throws -> ImportReport {
        let summary = try Exporter(store: from.store, options: ExportOptions()).export(to: directory.appendingPathComponent("\(from.name)-\(UUID().uuidString.prefix(8))").path)
        return try importChangeset(summary.path, into: into.store, in: directory)
    }

    @Test func aPrismaModelOnSQLiteAndPostgreSQLConvergesOnRandomSchedules() throws {
        try Self.converges(base: 0x9415_0000, defaultCount: 30)
    }

    /// The same model with the laptop keeping moments as Django's text: the cloud's
    /// `…+00` must come back in Django's spelling, and never count as a change.
    @Test func aModelWithDjangosMomentsConvergesOnRandomSchedules() throws {
        try Self.$djangoMoments.withValue(true) { try Self.converges(base: 0xD7A6_0000, defaultCount: 20) }
    }

    static func converges(base: UInt64, defaultCount: Int) throws {
        for seed in ConvergenceTests.seeds(base: base, defaultCount: defaultCount) {
            try withTemporaryDirectory { directory in
                try PostgresTestServer.withDatabase { uri in
                    do {
                        if let failure = try Self.run(seed: seed, in: directory, cloud: uri) {
                            Issue.record("seed \(seed) (FERRY_CONVERGENCE_SEED=\(seed)):\n\(failure)")
                        }
                    } catch {
                        Issue.record("seed \(seed) (FERRY_CONVERGENCE_SEED=\(seed)): \(error)")
                    }
                }
            }
        }
    }
}
