/// The entry point: runs every [<Tests>] list of this assembly under Expecto's command line
/// (`--filter-test-case`, `--list-tests`, `--summary`, ...).
module SnnDsl.Package.Tests.Main

open Expecto

[<EntryPoint>]
let main argv = runTestsInAssemblyWithCLIArgs [] argv
