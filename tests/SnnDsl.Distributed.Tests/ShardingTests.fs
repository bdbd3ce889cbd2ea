module SnnDsl.Distributed.Tests.ShardingTests

open System
open Expecto
open FsCheck.FSharp
open SnnDsl.Data
open SnnDsl.TestKit

let private loader (n: int) (batch: int) (seed: int64) (shard: Shard) =
    let options = { LoaderOptions.Default with BatchSize = batch; Shuffle = true; Seed = seed; Workers = 1; Prefetch = 1 }
    new DataLoader(IndexDataset(n, channels = 3, side = 8), options, shard)

/// Small worlds, batches and epochs from arbitrary integers.
let private world (w: int) = 1 + abs (w % 5)
let private batch (b: int) = 1 + abs (b % 8)

// 150 cases: each builds up to five loaders.
let private shardLaw name (property: 'a -> unit) = lawOn 150 name (fun () -> Prop.ofTestable property)

[<Tests>]
let tests =
    testList "sharding" [
        shardLaw "ranks' batch k together is exactly one process's batch k of W times the size" <| fun (seed: int64, epoch: byte, w: int, b: int, m: byte) ->
            let w, b = world w, batch b
            let n = w * int (m % 40uy) // divisible by W: no tail
            let single = (loader n (w * b) seed Shard.Single).Order(int epoch)
            let shards = [| for r in 0 .. w - 1 -> (loader n b seed (Shard.Of(r, w))).Order(int epoch) |]
            let steps = (n / w + b - 1) / b
            for k in 0 .. steps - 1 do
                let together = shards |> Array.collect (fun s -> s[k * b .. min (s.Length - 1) (k * b + b - 1)]) |> Array.sort
                let global' = single[k * w * b .. min (n - 1) (k * w * b + w * b - 1)] |> Array.sort
                Expect.equal together global' $"step {k} of epoch {epoch} (W = {w}, b = {b}, n = {n})"

        shardLaw "the shards of an epoch are disjoint and cover it when W divides n" <| fun (seed: int64, epoch: byte, w: int, m: byte) ->
            let w = world w
            let n = w * int (m % 50uy)
            let all = [| for r in 0 .. w - 1 -> (loader n 4 seed (Shard.Of(r, w))).Order(int epoch) |]
            Expect.equal (Array.concat all |> Array.sort) [| 0 .. n - 1 |] "every sample once"

        shardLaw "Pad: every rank visits ceil(n/W) samples, all of them together, repeats only from the start" <| fun (seed: int64, w: int, n: byte) ->
            let w, n = world w, int n
            let single = (loader n 3 seed Shard.Single).Order 0
            let parts = [| for r in 0 .. w - 1 -> (loader n 3 seed (Shard.Of(r, w))).Order 0 |]
            let per = (n + w - 1) / w
            for p in parts do Expect.equal p.Length per "ceil(n / W) each"
            Expect.equal (Array.concat parts |> Array.distinct |> Array.sort) [| 0 .. n - 1 |] "every sample visited"
            let extra = Array.concat parts |> Array.countBy id |> Array.filter (fun (_, c) -> c > 1) |> Array.map fst |> Set.ofArray
            Expect.isTrue (extra.IsSubsetOf(Set.ofArray single[0 .. w * per - n - 1])) "the repeats are the first samples of the order"

        shardLaw "Drop: every rank visits floor(n/W) samples, none twice" <| fun (seed: int64, w: int, n: byte) ->
            let w, n = world w, int n
            let parts = [| for r in 0 .. w - 1 -> (loader n 3 seed { Rank = r; WorldSize = w; Tail = ShardTail.Drop }).Order 0 |]
            for p in parts do Expect.equal p.Length (n / w) "floor(n / W) each"
            let all = Array.concat parts
            Expect.equal (Array.distinct all).Length all.Length "no sample twice"

        shardLaw "a rank's part is a pure function of (seed, epoch, rank, W)" <| fun (seed: int64, epoch: byte, w: int, r: int) ->
            let w = world w
            let r = abs (r % w)
            let a = (loader 37 5 seed (Shard.Of(r, w))).Order(int epoch)
            let b = (loader 37 5 seed (Shard.Of(r, w))).Order(int epoch)
            Expect.equal a b "same arguments, same part"
            Expect.equal a (Sharding.ofOrder ((loader 37 5 seed Shard.Single).Order(int epoch)) (Shard.Of(r, w))) "the strided part of the global order"

        test "augmentation follows the sample's position in the whole epoch, not the world size" {
            let options = { LoaderOptions.Train(8, 3L, Augmentation.StandardCutout) with Workers = 1; Prefetch = 1 }
            let single = new DataLoader(IndexDataset(32, channels = 3, side = 8), { options with BatchSize = 16 })
            let ranks = [| for r in 0..1 -> new DataLoader(IndexDataset(32, channels = 3, side = 8), options, Shard.Of(r, 2)) |]
            let size = 3 * 8 * 8
            for index in 0..1 do
                let whole = single.PrepareBatch(1, index)
                for r in 0..1 do
                    let part = ranks[r].PrepareBatch(1, index)
                    for j in 0 .. part.Count - 1 do
                        let k = Array.IndexOf(whole.Indices, part.Indices[j])
                        Expect.isGreaterThanOrEqual k 0 "the sample is in the same global batch"
                        Expect.equal k (r + 2 * j) "at the strided position"
                        Expect.equal part.Data[j * size .. j * size + size - 1] whole.Data[k * size .. k * size + size - 1] "identical augmented pixels"
        }

        test "a rank outside the world is refused with the valid ranks" {
            let e = Expect.raisesAny<ArgumentException> (fun () -> loader 10 2 0L (Shard.Of(2, 2)) |> ignore)
            Expect.stringContains e.Message "rank 2 is outside the world of 2" "the message"
        }
    ]
