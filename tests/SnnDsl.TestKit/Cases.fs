/// Tests with rows: one Expecto test case per row, so each row passes or fails (and counts) on its own.
[<AutoOpen>]
module SnnDsl.TestKit.Cases

open Expecto

/// One test case per row, named "name (row)".
let theory (name: string) (rows: 'a list) (body: 'a -> unit) : Test list =
    rows |> List.map (fun row -> testCase $"{name} ({row})" (fun () -> body row))
