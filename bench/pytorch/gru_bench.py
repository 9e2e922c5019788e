"""PyTorch CPU reference for bench:model: the same model, batch and optimiser as bench/benchModel.ts.

Item embedding 50k x 64 (id 0 = padding) + action embedding + gap -> GRU 64 -> next action (softmax
over 4), churn (sigmoid), next item (logits against the item embedding itself, plus a bias).
Training runs twice: with the full softmax over the items, and with the sampled softmax of
bench/training.ts (each row's target against the batch's targets plus --negatives uniform items).
Prints one JSON line: {"trainSeqPerSec": ..., "trainSampledSeqPerSec": ..., "inferSeqPerSec": ..., ...}.
"""

import argparse
import json
import time

import torch
from torch import nn
from torch.nn import functional as F


class BenchGru(nn.Module):
    def __init__(self, items: int, actions: int, item_dim: int, action_dim: int, hidden: int):
        super().__init__()
        self.item_embedding = nn.Embedding(items, item_dim, padding_idx=0)
        self.action_embedding = nn.Embedding(actions + 1, action_dim, padding_idx=0)
        self.gru = nn.GRU(item_dim + action_dim + 1, hidden, batch_first=True)
        self.next_action = nn.Linear(hidden, actions)
        self.churn = nn.Linear(hidden, 1)
        self.item_bias = nn.Parameter(torch.zeros(items))

    def forward(self, items, actions, gaps):
        steps = torch.cat([self.item_embedding(items), self.action_embedding(actions), gaps], dim=-1)
        _, state = self.gru(steps)
        return state[-1]

    def heads(self, state, candidates=None):
        """Next action and churn logits, and next-item logits against all items or the candidates."""
        table = self.item_embedding.weight if candidates is None else self.item_embedding(candidates)
        bias = self.item_bias if candidates is None else self.item_bias[candidates]
        return self.next_action(state), self.churn(state), state @ table.T + bias


def throughput(units: int, warmups: int, seconds: float, run) -> float:
    for _ in range(warmups):
        run()
    start = time.perf_counter()
    runs = 0
    while runs == 0 or time.perf_counter() - start < seconds:
        run()
        runs += 1
    return units * runs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--negatives", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()

    torch.manual_seed(42)
    model = BenchGru(args.items, 4, 64, 8, 64)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
    b, t = args.batch, args.length
    items = torch.randint(1, args.items, (b, t))
    actions = torch.randint(1, 5, (b, t))
    gaps = torch.rand(b, t, 1)
    next_action = torch.randint(0, 4, (b,))
    churn = torch.randint(0, 2, (b, 1)).float()
    next_item = torch.randint(1, args.items, (b,))

    def train_step(sampled: bool):
        optimizer.zero_grad(set_to_none=True)
        state = model(items, actions, gaps)
        if sampled:
            negatives = torch.randint(1, args.items, (args.negatives,))
            action_logits, churn_logit, item_logits = model.heads(state, torch.cat([next_item, negatives]))
            item_targets = torch.arange(b)
        else:
            action_logits, churn_logit, item_logits = model.heads(state)
            item_targets = next_item
        loss = (
            F.cross_entropy(action_logits, next_action)
            + F.binary_cross_entropy_with_logits(churn_logit, churn)
            + F.cross_entropy(item_logits, item_targets)
        )
        loss.backward()
        optimizer.step()

    def infer():
        with torch.no_grad():
            state = model(items, actions, gaps)
            torch.softmax(model.next_action(state), -1), torch.sigmoid(model.churn(state))

    result = {
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "trainSeqPerSec": throughput(b, 2, args.seconds, lambda: train_step(False)),
        "trainSampledSeqPerSec": throughput(b, 2, args.seconds, lambda: train_step(True)),
        "inferSeqPerSec": throughput(b, 2, args.seconds / 2, infer),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
