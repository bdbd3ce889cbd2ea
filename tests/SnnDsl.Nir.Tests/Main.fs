/// The entry point: runs every [<Tests>] list of this assembly under Expecto's command line.
module SnnDsl.Nir.Tests.Main

open Expecto

[<EntryPoint>]
let main argv = runTestsInAssemblyWithCLIArgs [] argv
