import OCISlimCLI

/// The `ocislim` executable: everything it does is in OCISlimCLI.
@main
enum Main {
    static func main() async {
        await OCISlimCommand.main()
    }
}
