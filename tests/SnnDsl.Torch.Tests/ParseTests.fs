/// Parsing of devices ("cpu", "cuda:N") and surrogates ("name" or "name:param") as written on a command line.
module SnnDsl.Torch.Tests.ParseTests

open System
open System.Globalization
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Torch.Tests.Helpers

[<Tests>]
let tests =
    testSequenced <| testList "Parse" [
        testCase "devices parse from cpu, cuda and cuda:N, and print back" <| fun () ->
            Expect.equal (Device.Parse "cpu") Device.Cpu "Device.Parse \"cpu\""
            Expect.equal (Device.Parse " CPU ") Device.Cpu "Device.Parse \" CPU \""
            Expect.equal (Device.Parse "cuda") (Device.Cuda 0) "Device.Parse \"cuda\""
            Expect.equal (Device.Parse "cuda:3") (Device.Cuda 3) "Device.Parse \"cuda:3\""
            Expect.equal (string Device.Cpu) "cpu" "string Device.Cpu"
            Expect.equal (string (Device.Cuda 2)) "cuda:2" "string (Device.Cuda 2)"
            for bad in [ "gpu"; "cuda:"; "cuda:-1"; "cuda:x"; "" ] do
                let e = Expect.raises<ArgumentException> (fun () -> Device.Parse bad |> ignore)
                assertMessageContains "expected cpu, cuda or cuda:N" e

        testCase "every surrogate parses from its name with its default parameter" <| fun () ->
            let expected =
                [ "rectangle", Surrogate.Rectangle 1.0
                  "triangle", Surrogate.Triangle 1.0
                  "sigmoid", Surrogate.Sigmoid 4.0
                  "atan", Surrogate.Atan 2.0
                  "fast-sigmoid", Surrogate.FastSigmoid 10.0 ]
            Expect.equal (Surrogate.all : (string * Surrogate) list) expected "Surrogate.all"
            for name, s in expected do
                Expect.equal (Surrogate.parse name) (Ok s) "Surrogate.parse name"
                Expect.equal (Surrogate.parse (" " + name.ToUpperInvariant() + " ")) (Ok s) "Surrogate.parse (\" \" + name.ToUpperInvariant() + \" \")"
                Expect.equal (fst (Surrogate.describe s)) name "fst (Surrogate.describe s)"

        law "name:param parses any positive parameter and describe gives it back" <| fun () ->
            let gen = Gen.zip (Gen.elements (List.map fst Surrogate.all)) (Gen.map (fun s -> 1e-3 + 100.0 * Random(s).NextDouble()) genSeed)
            forAll gen (fun (name, p) ->
                let text = name + ":" + p.ToString("R", CultureInfo.InvariantCulture)
                match Surrogate.parse text with
                | Ok s -> Expect.equal (Surrogate.describe s) (name, p) "Surrogate.describe s"
                | Error e -> failwith e)

        testCase "bad surrogates are refused with the reason" <| fun () ->
            let error text =
                match Surrogate.parse text with
                | Ok s -> failwith $"'{text}' parsed as {s}"
                | Error e -> e
            let unknown = error "relu"
            Expect.stringContains unknown "unknown surrogate 'relu'" "unknown"
            for name, _ in Surrogate.all do
                Expect.stringContains unknown name "unknown"
            for bad in [ "sigmoid:"; "sigmoid:0"; "sigmoid:-1"; "sigmoid:x"; "sigmoid:NaN"; "sigmoid:Infinity" ] do
                Expect.stringContains (error bad) "positive number" "error bad"
    ]
