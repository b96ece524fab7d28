// libFuzzer harness: one input is one JSON document, read as every document type the tool reads, and patched the
// way `rewrite` patches the types it decodes as. Seeds: testdata/fuzz/json.
import FuzzSupport
import OCIImage
import OCISlim

/// Digests the patches point at: fixed, distinct, valid.
let newDigests = (0..<256).map { Digest(sha256Hex: String(repeating: String($0 % 16, radix: 16), count: 64)) }

/// Every member the patch does not set keeps its value.
func checkOthersKept(_ original: [UInt8], _ patched: [UInt8], except changed: Set<String>) {
    guard case .object(let before)? = try? JSONValue.parse(original, what: "original"),
        case .object(let after)? = try? JSONValue.parse(patched, what: "patched")
    else { return fuzzCheck(false, "a patched document is not an object") }
    for (key, value) in before where !changed.contains(key) {
        fuzzCheck(after[key] == value, "patching lost or changed member \(key)")
    }
}

func checkIndexPatch(_ bytes: [UInt8], _ index: ImageIndex) {
    let targets = index.manifests.indices.map {
        Descriptor(mediaType: "x", digest: newDigests[$0 % newDigests.count], size: Int64($0))
    }
    let patched: [UInt8]
    do {
        patched = try FuzzEntryPoints.patchIndex(bytes, manifests: targets)
    } catch {
        return fuzzCheck(false, "an index that decodes could not be patched: \(error)")
    }
    let reread = try? ImageIndex.decode(patched, what: "patched index")
    fuzzCheck(reread?.manifests.map(\.digest) == targets.map(\.digest), "the patched index lost its targets")
    checkOthersKept(bytes, patched, except: ["manifests"])
}

func checkManifestPatch(_ bytes: [UInt8], _ manifest: ImageManifest) {
    let config = Descriptor(mediaType: manifest.config.mediaType, digest: newDigests[255], size: 7)
    let layers = manifest.layers.indices.map {
        Descriptor(mediaType: "layer-\($0 % 3)", digest: newDigests[$0 % 255], size: Int64($0))
    }
    let patched: [UInt8]
    do {
        patched = try FuzzEntryPoints.patchManifest(bytes, config: config, layers: layers)
    } catch {
        return fuzzCheck(false, "a manifest that decodes could not be patched: \(error)")
    }
    let reread = try? ImageManifest.decode(patched, what: "patched manifest")
    fuzzCheck(reread?.config.digest == config.digest, "the patched manifest lost its config")
    fuzzCheck(reread?.layers.map(\.digest) == layers.map(\.digest), "the patched manifest lost its layers")
    fuzzCheck(reread?.layers.map(\.mediaType) == layers.map(\.mediaType), "the patched manifest lost media types")
    checkOthersKept(bytes, patched, except: ["config", "layers"])
}

func checkConfigPatch(_ bytes: [UInt8], _ config: ImageConfig) {
    let diffIDs = Array(newDigests.prefix(config.rootfs.diffIDs.count))
    let variable = "PYTHONDONTWRITEBYTECODE=1"
    let patched: [UInt8]
    do {
        patched = try FuzzEntryPoints.patchConfig(bytes, diffIDs: diffIDs, environment: [variable])
    } catch {
        return fuzzCheck(false, "a config that decodes could not be patched: \(error)")
    }
    let reread = try? ImageConfig.decode(patched, what: "patched config")
    fuzzCheck(reread?.rootfs.diffIDs == diffIDs, "the patched config lost its diff_ids")
    let environment = reread?.config?.env ?? []
    fuzzCheck(
        environment.contains { $0.hasPrefix("PYTHONDONTWRITEBYTECODE=") }, "the patched config lost its environment"
    )
    checkOthersKept(bytes, patched, except: ["rootfs", "config"])
}

FuzzMain.run { bytes in
    _ = try? Descriptor.decode(bytes, what: "descriptor")
    _ = try? Digest.decode(bytes, what: "digest")
    // Patches are checked on documents the whole-document reader accepts (the typed decoders go through the same
    // strict parser first, so they refuse what it refuses).
    guard let value = try? JSONValue.parse(bytes, what: "input") else { return }
    // A parsed document survives its own encoding: what `rewrite` writes back reads as what it read. A whole
    // floating-point number (0.0, 1e2) is written without a fraction and reads back as the same integer, so the
    // check is that encoding is a fixed point: the re-read document encodes to the same bytes.
    if let encoded = try? value.encoded() {
        let again = try? JSONValue.parse(encoded, what: "encoded")
        let reencoded = try? again?.encoded()
        fuzzCheck(reencoded == encoded, "re-encoding changed \(value) into \(String(decoding: encoded, as: UTF8.self))")
    }
    if let index = try? ImageIndex.decode(bytes, what: "index") {
        checkIndexPatch(bytes, index)
    }
    if let manifest = try? ImageManifest.decode(bytes, what: "manifest") {
        checkManifestPatch(bytes, manifest)
    }
    if let config = try? ImageConfig.decode(bytes, what: "config") {
        checkConfigPatch(bytes, config)
    }
}
