#!/usr/bin/env python3
"""Makes the end-to-end model fixtures: small networks from timm and
transformers configs with seeded random weights (never a hub download),
exported with torch.onnx.export with dynamic batch/sequence axes.

The .onnx files are committed next to this script, so tests never need torch.
Run it with a Python that has the packages pinned in requirements-fixtures.txt:

  python3 -m venv /tmp/fixtures && /tmp/fixtures/bin/pip install -r test/models/requirements-fixtures.txt
  /tmp/fixtures/bin/python test/models/make_fixtures.py

Widths, depths and vocabularies are shrunk so each model is a few hundred KB
and the reference evaluator runs it in seconds; the architectures (and so the
exported graphs) are the real ones.
"""

import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def export(model, args, name, input_names, output_names, dynamic_axes, opset):
    model.eval()
    path = os.path.join(HERE, name + ".onnx")
    with torch.no_grad():
        # The TorchScript exporter, which writes dim_params for dynamic_axes.
        torch.onnx.export(model, args, path, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes,
                          opset_version=opset, dynamo=False,
                          do_constant_folding=True)
    print(f"{name}: {os.path.getsize(path)} bytes")


def mlp():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(16, 32), torch.nn.ReLU(),
        torch.nn.Linear(32, 32), torch.nn.GELU(),
        torch.nn.Linear(32, 10), torch.nn.Softmax(dim=-1))
    export(model, (torch.randn(2, 16),), "mlp", ["x"], ["probs"],
           {"x": {0: "batch"}, "probs": {0: "batch"}}, 17)


def resnet18():
    import timm.models.resnet as resnet
    torch.manual_seed(0)
    # ResNet-18's block structure (BasicBlock x [2, 2, 2, 2]) at 1/8 width.
    model = resnet.ResNet(resnet.BasicBlock, [2, 2, 2, 2], num_classes=10,
                          stem_width=8, channels=(8, 16, 32, 64))
    # Random batch-norm statistics, so folding them is actually tested.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    export(model, (torch.randn(1, 3, 32, 32),), "resnet18", ["image"], ["logits"],
           {"image": {0: "batch"}, "logits": {0: "batch"}}, 17)


def mobilenet_v2():
    import timm
    torch.manual_seed(0)
    model = timm.create_model("mobilenetv2_035", pretrained=False, num_classes=10)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    export(model, (torch.randn(1, 3, 32, 32),), "mobilenetv2", ["image"], ["logits"],
           {"image": {0: "batch"}, "logits": {0: "batch"}}, 17)


def vit():
    from timm.models.vision_transformer import VisionTransformer
    torch.manual_seed(0)
    model = VisionTransformer(img_size=32, patch_size=8, embed_dim=32, depth=2,
                              num_heads=4, mlp_ratio=2.0, num_classes=10)
    export(model, (torch.randn(1, 3, 32, 32),), "vit", ["image"], ["logits"],
           {"image": {0: "batch"}, "logits": {0: "batch"}}, 17)


def bert():
    from transformers import BertConfig, BertModel
    torch.manual_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=64,
                        max_position_embeddings=64, attn_implementation="eager")
    model = BertModel(config)
    ids = torch.randint(0, 100, (2, 8))
    mask = torch.ones(2, 8, dtype=torch.int64)
    # Opset 14: LayerNorm, GELU and attention are written out as primitives,
    # which is what the recognition passes are for.
    export(model, (ids, mask), "bert", ["input_ids", "attention_mask"],
           ["last_hidden_state", "pooler_output"],
           {"input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "last_hidden_state": {0: "batch", 1: "sequence"},
            "pooler_output": {0: "batch"}}, 14)


def gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=100, n_embd=32, n_layer=2, n_head=4,
                        n_positions=64, use_cache=False, attn_implementation="eager")
    model = GPT2LMHeadModel(config)

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids):
            return self.inner(input_ids=input_ids, use_cache=False).logits

    export(Logits(model), (torch.randint(0, 100, (2, 8)),), "gpt2", ["input_ids"],
           ["logits"], {"input_ids": {0: "batch", 1: "sequence"},
                        "logits": {0: "batch", 1: "sequence"}}, 14)


if __name__ == "__main__":
    import sys
    only = set(sys.argv[1:])
    for make in (mlp, resnet18, mobilenet_v2, vit, bert, gpt2):
        if not only or make.__name__ in only:
            make()

