module SnnDsl.Distributed.Tests.Main

open Expecto

/// No arguments or Expecto's: run the tests (one after the other: they start processes and share libtorch's
/// seed). `worker ...`: be one rank of a test world. `bench [world]`: measure collectives over loopback.
[<EntryPoint>]
let main argv =
    match Array.tryHead argv with
    | Some "worker" -> Worker.run (function "bench" -> Some Bench.worker | _ -> None) argv
    | Some "bench" -> Bench.run argv
    | _ -> runTestsInAssemblyWithCLIArgs [ Sequenced ] argv
