/// The entry point: Expecto runs every [<Tests>] value of this assembly, one test at a time (the CLI and
/// training tests share libtorch's global state), and returns non-zero when one fails.
module SnnDsl.Verify.Tests.Main

open Expecto

[<EntryPoint>]
let main argv = runTestsInAssemblyWithCLIArgs [ CLIArguments.Sequenced ] argv
