/// Small datasets whose every value is known, for the loader, sharding and batch tests.
[<AutoOpen>]
module SnnDsl.TestKit.Datasets

open SnnDsl.Data

/// Sample i is a [C, H, W] image (1 x 4 x 4 unless given) of the value i + pixel / 1000; label i mod 3; an
/// optional hook runs per read.
type IndexDataset(count: int, ?channels: int, ?side: int, ?hook: int -> unit) =
    inherit Dataset("index", [| defaultArg channels 1; defaultArg side 4; defaultArg side 4 |], [| "a"; "b"; "c" |])
    let hook = defaultArg hook ignore
    override _.Count = count
    override _.Label i = i % 3
    override d.CopyPixels(i, dst) =
        hook i
        for k in 0 .. dst.Length - 1 do
            dst[k] <- float32 i + float32 k / 1000.0f

/// Event-like samples [T, 2, 3, 3]: frame t of sample i holds 100 * t + i everywhere; label i mod 2.
type FramesDataset(count: int, frames: int) =
    inherit Dataset("frames", [| frames; 2; 3; 3 |], [| "x"; "y" |])
    override _.Count = count
    override _.Label i = i % 2
    override _.CopyPixels(i, dst) =
        for k in 0 .. dst.Length - 1 do
            dst[k] <- float32 (100 * (k / 18) + i)
