namespace SnnDsl.Distributed

open System
open SnnDsl.Core
open SnnDsl.Torch

/// Where this process stands in a data-parallel world, as torchrun describes it to its workers.
[<RequireQualifiedAccess>]
module World =
    let private variable (name: string) =
        match Environment.GetEnvironmentVariable name with
        | null | "" -> None
        | v -> Some(v.Trim())

    let private integer (name: string) (value: string) =
        match Int32.TryParse value with
        | true, v -> v
        | _ -> Fail.usage $"the environment variable {name} must be an integer, got '{value}'"

    /// Process-group options from torchrun's variables RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (the TCP
    /// store that rank 0 hosts); None when RANK and WORLD_SIZE are not set. A missing address is an error.
    let fromEnvironment () : ProcessGroupOptions option =
        match variable "RANK", variable "WORLD_SIZE" with
        | None, None -> None
        | Some _, None | None, Some _ -> Fail.usage "set both RANK and WORLD_SIZE (as torchrun does), or neither"
        | Some r, Some w ->
            let addr = variable "MASTER_ADDR" |> Option.defaultWith (fun () -> Fail.usage "RANK and WORLD_SIZE are set but MASTER_ADDR is not")
            let port = variable "MASTER_PORT" |> Option.defaultWith (fun () -> Fail.usage "RANK and WORLD_SIZE are set but MASTER_PORT is not")
            Some(ProcessGroupOptions.Create(Rendezvous.Tcp(addr, integer "MASTER_PORT" port), integer "RANK" r, integer "WORLD_SIZE" w))

