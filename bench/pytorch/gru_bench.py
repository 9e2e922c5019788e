"""PyTorch CPU reference for bench:model: the same model, batch and optimiser as bench/benchModel.ts.

Item embedding 50k x 64 (id 0 = padding) + action embedding + gap -> GRU 64 -> next action (softmax
over 4), churn (sigmoid), next item (logits against the item embedding itself, plus a bias).
Prints one JSON line: {"trainSeqPerSec": ..., "inferSeqPerSec": ..., "threads": ...}.
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
        state = state[-1]
        item_logits = state @ self.item_embedding.weight.T + self.item_bias
        return self.next_action(state), self.churn(state), item_logits


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

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        action_logits, churn_logit, item_logits = model(items, actions, gaps)
        loss = (
            F.cross_entropy(action_logits, next_action)
            + F.binary_cross_entropy_with_logits(churn_logit, churn)
            + F.cross_entropy(item_logits, next_item)
        )
        loss.backward()
        optimizer.step()

    def infer():
        with torch.no_grad():
            action_logits, churn_logit, _ = model(items, actions, gaps)
            torch.softmax(action_logits, -1), torch.sigmoid(churn_logit)

    result = {
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "trainSeqPerSec": throughput(b, 2, args.seconds, train_step),
        "inferSeqPerSec": throughput(b, 2, args.seconds / 2, infer),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
