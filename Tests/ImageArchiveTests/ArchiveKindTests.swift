import ImageArchive
import Testing

@Suite struct ArchiveKindTests {
    @Test func transportsAreSpelledAsSkopeoSpellsThem() {
        #expect(ArchiveKind(rawValue: "oci-archive") == .ociArchive)
        #expect(ArchiveKind(rawValue: "docker-archive") == .dockerArchive)
    }
}
