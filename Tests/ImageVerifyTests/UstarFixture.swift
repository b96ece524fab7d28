/// Hand-made ustar archives, for entries the library's writer refuses to make (`..` names, device nodes).
enum UstarFixture {
    /// One entry: its name, type flag (`0` file, `2` symlink, `1` hardlink, `3` character device, `5` directory),
    /// link name and data.
    struct Entry {
        var name: String
        var type: UInt8 = UInt8(ascii: "0")
        var link = ""
        var data: [UInt8] = []
        var mode: UInt32 = 0o644
    }

    /// The archive: a 512-byte header per entry, its data padded to 512, and two zero blocks.
    static func tar(_ entries: [Entry]) -> [UInt8] {
        var bytes: [UInt8] = []
        for entry in entries {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int, length: Int) {
                for (position, byte) in text.utf8.prefix(length).enumerated() { header[offset + position] = byte }
            }
            func octal(_ value: Int, at offset: Int, length: Int) {
                let digits = String(value, radix: 8)
                put(String(repeating: "0", count: length - 1 - digits.count) + digits, at: offset, length: length - 1)
            }
            put(entry.name, at: 0, length: 100)
            octal(Int(entry.mode), at: 100, length: 8)
            octal(0, at: 108, length: 8)
            octal(0, at: 116, length: 8)
            octal(entry.type == UInt8(ascii: "0") ? entry.data.count : 0, at: 124, length: 12)
            octal(1_700_000_000, at: 136, length: 12)
            header[156] = entry.type
            put(entry.link, at: 157, length: 100)
            put("ustar", at: 257, length: 6)
            put("00", at: 263, length: 2)
            octal(1, at: 329, length: 8)
            octal(3, at: 337, length: 8)
            for position in 148..<156 { header[position] = 0x20 }
            let sum = header.reduce(0) { $0 + Int($1) }
            octal(sum, at: 148, length: 7)
            header[155] = 0x20
            bytes += header
            if entry.type == UInt8(ascii: "0") {
                bytes += entry.data
                bytes += [UInt8](repeating: 0, count: (512 - entry.data.count % 512) % 512)
            }
        }
        return bytes + [UInt8](repeating: 0, count: 1024)
    }
}
