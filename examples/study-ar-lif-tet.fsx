// Study: AR-LIF trained with TET (as its authors train it) against LIF and soft-reset LIF, each with TET and
// with mean-output cross entropy, on Fashion-MNIST at T = 4, 3 seeds each: accuracy and firing rates per layer.
//   dotnet fsi examples/study-ar-lif-tet.fsx
// Budget (measured in docs/results.md; under an hour on 2 cores): the small conv net, 3 epochs of 16,000
// training samples, 2,000 test samples. Running it again skips the finished runs and resumes a stopped one.
#load "studies/common.fsx"
open Common
open SnnDsl.Data
open SnnDsl.Nn
open SnnDsl.Training

let cell = cell DatasetName.FashionMnist { Model = ZooModel.SmallConv; Epochs = 3; TrainSamples = 16000; TestSamples = 2000 }

let study =
    { Name = "ar-lif-tet"
      Root = studyRoot "ar-lif-tet"
      Cells =
        [ cell "lif, CE" "lif" Loss.ce
          cell "lif, TET" "lif" Loss.tet
          cell "lif-soft, CE" "lif-soft" Loss.ce
          cell "lif-soft, TET" "lif-soft" Loss.tet
          cell "ar-lif, TET" "ar-lif" Loss.tet ]
      Seeds = seeds }

let pairs = [ "lif, TET", "ar-lif, TET"; "lif-soft, TET", "ar-lif, TET"; "lif, CE", "lif, TET"; "lif-soft, CE", "lif-soft, TET" ]
runStudy study pairs "dotnet fsi examples/study-ar-lif-tet.fsx" |> ignore
