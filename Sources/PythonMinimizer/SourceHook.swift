/// The opt-in startup hook (`--source-hook`) that shows source lines for modules the `sourceless` strategy rewrote.
///
/// `sourceless` (PEP Option 2) ships `pkg/name.pyc` where `pkg/name.py` was and keeps the source as
/// `pkg/__pysources__/name.zpy`: one gzip member (RFC 1952, no file name, mtime 0) of the exact source bytes.
/// Stock CPython never reads it, so the hook is a `.pth` file in site-packages/dist-packages that imports
/// `_ocislim_sources`, which teaches `SourcelessFileLoader.get_source` to read the `.zpy` and, on CPython 3.12
/// and older, prints uncaught exceptions through the `traceback` module.
public enum SourceHook {
    /// The `.pth` file that `site` runs at startup; it goes beside the module.
    public static let pthFileName = "ocislim-sources.pth"

    /// The `.pth` file's contents: a single import line (`site` executes lines that start with `import`).
    public static let pthContents: [UInt8] = Array("import _ocislim_sources\n".utf8)

    /// The hook module's file name.
    public static let moduleFileName = "_ocislim_sources.py"

    /// The directory beside sourceless bytecode that holds the compressed sources (the PEP's name).
    public static let sourcesDirectoryName = "__pysources__"

    /// The compressed source's file name for a module file: `name.py` (or `name.pyc`) → `name.zpy`.
    public static func zpyName(forModuleFile name: String) -> String {
        var stem = Substring(name)
        if stem.hasSuffix(".pyc") {
            stem = stem.dropLast(4)
        } else if stem.hasSuffix(".py") {
            stem = stem.dropLast(3)
        }
        return stem + ".zpy"
    }

    /// Where the compressed source of `dir/name.pyc` lives: `dir/__pysources__/name.zpy`; nil unless a `.pyc`.
    public static func zpyPath(forSourcelessPyc path: ImagePath) -> ImagePath? {
        let name = path.name
        guard name.hasSuffix(".pyc"), name.count > 4 else { return nil }
        // Built from bytes: a module name that is not UTF-8 passes through unchanged.
        let directory = path.parent.appending(sourcesDirectoryName)
        return ImagePath(tarName: directory.bytes + [0x2f] + Array(name.dropLast(4)) + Array(".zpy".utf8))
    }

    /// The hook module's Python source, UTF-8; the same text `moduleFileName` is written with.
    public static let moduleSource: [UInt8] = Array(
        #"""
        """Show source lines for sourceless modules (installed by `ocislim --source-hook`).

        ocislim's `sourceless` strategy replaced `pkg/name.py` by plain bytecode `pkg/name.pyc` and kept the
        source, gzip-compressed, as `pkg/__pysources__/name.zpy`. Stock CPython never reads that file, so
        tracebacks, linecache and inspect.getsource show no code for such modules. `ocislim-sources.pth` imports
        this module at startup, which:

        1. makes importlib.machinery.SourcelessFileLoader.get_source read `__pysources__/<name>.zpy` beside the
           .pyc; without a readable .zpy it behaves as before (returns None);
        2. on CPython 3.12 and older, whose C code prints uncaught exceptions by opening the removed .py, sets
           sys.excepthook to print them with the traceback module, unless a hook other than the default is set.

        Importing it again changes nothing. It never raises: if it fails, Python runs as if it were absent.
        To remove it, delete `ocislim-sources.pth` and `_ocislim_sources.py` from this directory.
        """
        import os
        import sys


        def _install():
            # Always loaded at startup; importlib.machinery re-exports this very class.
            import _frozen_importlib_external as bootstrap

            loader = bootstrap.SourcelessFileLoader
            original = loader.get_source
            if getattr(original, "ocislim_original", None) is not None:
                return  # already installed, by another .pth or a reload

            def get_source(self, fullname):
                try:
                    folder, name = os.path.split(self.get_filename(fullname))
                    data = self.get_data(os.path.join(folder, "__pysources__", name.rpartition(".")[0] + ".zpy"))
                    import zlib  # only when a source is wanted, not at every startup

                    # wbits 31: one gzip member, as ocislim writes it.
                    return bootstrap.decode_source(zlib.decompress(data, 31))
                except Exception:
                    # Missing or unreadable .zpy: the stock answer, never a new error inside a traceback.
                    return original(self, fullname)

            get_source.ocislim_original = original
            loader.get_source = get_source
            # From 3.13 the default hook already formats through traceback, which asks get_source.
            if sys.version_info < (3, 13) and sys.excepthook is sys.__excepthook__:
                sys.excepthook = _print_uncaught


        def _print_uncaught(exc_type, exc, tb):
            """Print an uncaught exception as the default hook does, with source lines from linecache."""
            if sys.stderr is None or issubclass(exc_type, KeyboardInterrupt):
                # No stderr: traceback would print to stdout instead; the default hook stays silent.
                # KeyboardInterrupt: importing traceback here runs module code, which clears CPython's record of
                # an unhandled interrupt, and the process would exit 1 instead of dying by SIGINT.
                return sys.__excepthook__(exc_type, exc, tb)
            try:
                import traceback

                traceback.print_exception(exc_type, exc, tb)
            except Exception:
                sys.__excepthook__(exc_type, exc, tb)


        try:
            _install()
        except Exception:
            pass

        """#.utf8
    )
}
