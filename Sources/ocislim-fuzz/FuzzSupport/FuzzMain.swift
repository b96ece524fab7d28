import CLibFuzzer

#if canImport(Glibc)
    import Glibc
#endif

/// The entry point of a libFuzzer harness: hands the command line to libFuzzer, which calls the test with each input.
///
/// SwiftPM links every executable with its own `main` (renamed from the module's top-level code), which takes the
/// place of libFuzzer's; so the harness's top-level code calls libFuzzer's driver itself, with the same flags.
public enum FuzzMain {
    /// The test of one input; libFuzzer calls it on one thread, one input at a time.
    nonisolated(unsafe) fileprivate static var test: ([UInt8]) -> Void = { _ in }

    /// Runs libFuzzer with `test` as its `LLVMFuzzerTestOneInput`; exits with libFuzzer's status.
    public static func run(_ test: @escaping ([UInt8]) -> Void) -> Never {
        Self.test = test
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
    }
}

/// The test libFuzzer's runtime links against (its own unused `main` refers to it); runs the harness's test.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzMain.test(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// Stops the run on a broken invariant; libFuzzer saves the input that broke it.
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        var text = "fuzz invariant broken: \(message())\n"
        text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
        abort()
    }
}
