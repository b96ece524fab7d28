import ByteIO

/// What to do with one input entry.
public enum TarEdit {
    /// Copy the entry's raw bytes unchanged (headers, pax records and data, byte for byte).
    case keep
    /// Leave the entry out.
    case drop
    /// Leave the entry out and write these pieces in its place, in order.
    case replace([TarReplacement])

    /// Leave the entry out; write `with` (data-less entries: hardlinks, whiteouts) in its place, then, when
    /// `dataUnder` is set, that header followed by the entry's own data (a rename).
    public static func replace(with entries: [NewTarEntry], dataUnder header: NewTarEntry? = nil) -> TarEdit {
        .replace(entries.map { .header($0) } + (header.map { [.entryData(under: $0)] } ?? []))
    }
}

/// One piece written in place of an input entry. The entry's data can be streamed once (`entryData`) or read into
/// memory once and transformed any number of times (`transformedData`), not both.
public enum TarReplacement {
    /// An entry without data (directory, hardlink, whiteout, empty file).
    case header(NewTarEntry)
    /// This header, followed by the input entry's data unchanged (a rename).
    case entryData(under: NewTarEntry)
    /// The input entry's data (at most `limit` bytes, read into memory), transformed; the header gets the new size.
    case transformedData(under: NewTarEntry, limit: Int, transform: ([UInt8]) throws -> [UInt8])
}

/// Counts of what an edit did, for reports and tests.
public struct TarEditSummary: Equatable, Sendable {
    /// Entries read from the input.
    public var entriesRead = 0
    /// Entries copied unchanged.
    public var kept = 0
    /// Entries left out (including those replaced).
    public var dropped = 0
    /// Entries written by the editor (replacements, rewritten headers, appended entries).
    public var written = 0
    /// The most raw bytes held at once while waiting for libarchive to consume them.
    public var peakWindowBytes = 0
    /// libarchive warnings met on the way.
    public var warnings: [String] = []
}

/// Streams a tar archive from a source to a sink, keeping entries byte-exact unless told otherwise.
///
/// Kept entries are copied as raw bytes, located with libarchive's header positions: their pax records, GNU long
/// names, sparse maps and non-UTF-8 names survive untouched, and nothing is re-encoded. Only changed and new entries
/// go through libarchive's writer. Memory stays bounded by the read-ahead whatever the entry sizes.
public final class TarEditor {
    private let reader: TarReader
    private let window = RawWindow()
    private let output: ByteSink
    private let writer: TarWriter
    private var summary = TarEditSummary()

    /// Reads tar from `source` and writes the edited tar to `sink`.
    public init(source: ByteSource, sink: ByteSink) throws {
        reader = try TarReader(source: source, rawWindow: window)
        output = sink
        writer = try TarWriter(sink: sink)
    }

    /// Runs the edit: `decide` is called for each entry in order with its index; `append` is called once at the
    /// end and returns entries (with their data) to add before the end-of-archive marker.
    public func run(
        decide: (Int, TarEntry) throws -> TarEdit,
        append: () throws -> [(NewTarEntry, [UInt8])] = { [] }
    ) throws -> TarEditSummary {
        var index = 0
        // The bytes of the entry being streamed go to `destination` (nil: dropped) as libarchive consumes them.
        var destination: ByteSink? = nil
        while let entry = try reader.nextEntry() {
            // Everything before this header belongs to the previous entry (its data's tail and padding).
            try settle(upTo: reader.headerPosition, into: destination)
            summary.entriesRead += 1
            let edit = try decide(index, entry)
            index += 1
            switch edit {
            case .keep:
                destination = output
                summary.kept += 1
                try streamData(keepingRaw: true, into: nil)
            case .drop:
                destination = nil
                summary.dropped += 1
                try streamData(keepingRaw: false, into: nil)
            case .replace(let pieces):
                destination = nil
                summary.dropped += 1
                try settle(upTo: reader.consumedPosition, into: nil)
                var dataUsed = false
                var wholeData: [UInt8]?
                for piece in pieces {
                    switch piece {
                    case .header(let header):
                        try writer.writeHeader(header)
                        try writer.finishEntry()
                    case .entryData(let header):
                        precondition(!dataUsed, "an entry's data can be written once")
                        dataUsed = true
                        try writer.writeHeader(header)
                        try streamData(keepingRaw: false, into: writer)
                        try writer.finishEntry()
                    case .transformedData(let header, let limit, let transform):
                        precondition(!dataUsed || wholeData != nil, "an entry's data was streamed already")
                        dataUsed = true
                        if wholeData == nil { wholeData = try readWhole(entry, limit: limit) }
                        let data = try transform(wholeData ?? [])
                        header.setSize(Int64(data.count))
                        try writer.write(header, data: data)
                    }
                    summary.written += 1
                }
                if !dataUsed { try streamData(keepingRaw: false, into: nil) }
            }
        }
        // At the end, the header position is where the end-of-archive marker starts.
        try settle(upTo: reader.headerPosition, into: destination)
        try settle(upTo: window.end, into: nil)
        for (entry, data) in try append() {
            try writer.write(entry, data: data)
            summary.written += 1
        }
        try writer.finish()
        try reader.drainSource()
        summary.warnings = reader.warnings + writer.warnings
        return summary
    }

    /// Reads the current entry's data, settling raw bytes as libarchive consumes them.
    private func streamData(keepingRaw: Bool, into writer: TarWriter?) throws {
        let rawDestination = keepingRaw ? output : nil
        guard let writer else {
            // Copied raw or dropped: the stored extents are walked only to let libarchive consume them.
            while try reader.nextStoredBlock() != nil {
                // libarchive consumes a data block lazily, on the next call; what it has consumed is this entry's.
                try settle(upTo: reader.consumedPosition, into: rawDestination)
            }
            return
        }
        // Re-encoded: the writer takes the file's content, holes as zeros; for an entry whose header keeps a
        // sparse map, libarchive's writer skips the holes again and stores the same extents.
        while let block = try reader.nextDataBlock() {
            try writer.writeData(block)
            try settle(upTo: reader.consumedPosition, into: nil)
        }
    }

    /// The current entry's data in memory, refusing entries larger than `limit`.
    private func readWhole(_ entry: TarEntry, limit: Int) throws -> [UInt8] {
        guard entry.size <= Int64(limit) else {
            throw TarError.archive(
                call: "read", message: "\(entry.size) bytes is more than the \(limit) this edit reads into memory",
                entry: entry.path.description
            )
        }
        var data: [UInt8] = []
        data.reserveCapacity(Int(entry.size))
        while let block = try reader.nextDataBlock() {
            data.append(contentsOf: block)
            try settle(upTo: reader.consumedPosition, into: nil)
        }
        return data
    }

    private func settle(upTo offset: Int64, into sink: ByteSink?) throws {
        summary.peakWindowBytes = max(summary.peakWindowBytes, window.heldCount)
        try window.settle(upTo: offset, into: sink)
    }
}

@available(*, unavailable)
extension TarEditor: Sendable {}
