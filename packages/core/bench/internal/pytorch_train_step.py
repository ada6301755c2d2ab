# PyTorch side of train-step.bench.ts: the same three nets, batch and SGD step, timed on request.
# Never a dependency of automl-ts; install it for the comparison with `apt-get install -y python3-torch`.
#
#   python3 pytorch_train_step.py --threads N --batch 64 --nets reference-net,resnet20,mobilenetv2
#
# Protocol (one JSON object per line): prints {"ready": true, "torch": version, "threads": N} once the
# nets are built and warmed up; then for each request {"net": name, "steps": k} on stdin it runs k
# training steps and prints {"ms": [wall ms of each step]}.
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def reference_net():
    # conv3x3(32)-relu, conv3x3(32)-relu, maxpool2, conv3x3(64)-relu, flatten, dense(10) (bench/internal/nets.ts)
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(16 * 16 * 64, 10),
    )


def conv_bn(cin, cout, k, stride=1, groups=1, act=None):
    layers = [nn.Conv2d(cin, cout, k, stride, padding=k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    # He et al. 2016, CIFAR ResNet basic block, shortcut B (core's createModel('resnet20') default)
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride, act=nn.ReLU)
        self.conv2 = conv_bn(cout, cout, 3)
        self.shortcut = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return F.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


def resnet20():
    layers = [conv_bn(3, 16, 3, act=nn.ReLU)]
    cin = 16
    for stage, width in enumerate([16, 32, 64]):
        for b in range(3):
            layers.append(BasicBlock(cin, width, 2 if stage > 0 and b == 0 else 1))
            cin = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


class InvertedResidual(nn.Module):
    # Sandler et al. 2018 (core's createModel('mobilenetv2'))
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = round(cin * t)
        parts = [] if t == 1 else [conv_bn(cin, hidden, 1, act=nn.ReLU6)]
        parts += [conv_bn(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6), conv_bn(hidden, cout, 1)]
        self.body = nn.Sequential(*parts)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


def mobilenetv2():
    layers = [conv_bn(3, 32, 3, 2, act=nn.ReLU6)]
    cin = 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for b in range(n):
            layers.append(InvertedResidual(cin, c, s if b == 0 else 1, t))
            cin = c
    layers += [conv_bn(cin, 1280, 1, act=nn.ReLU6), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 10)]
    return nn.Sequential(*layers)


NETS = {'reference-net': (reference_net, 0.0), 'resnet20': (resnet20, 0.9), 'mobilenetv2': (mobilenetv2, 0.9)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--threads', type=int, required=True)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--nets', default='reference-net,resnet20,mobilenetv2')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(args.batch, 3, 32, 32)
    y = torch.randint(0, 10, (args.batch,))
    steps = {}
    for name in args.nets.split(','):
        build, momentum = NETS[name]
        model = build().train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=momentum)

        def step(model=model, optimizer=optimizer):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return loss.item()

        for _ in range(2):
            step()
        steps[name] = step
    print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        times = []
        for _ in range(request['steps']):
            start = time.perf_counter()
            steps[request['net']]()
            times.append((time.perf_counter() - start) * 1000)
        print(json.dumps({'ms': times}), flush=True)


if __name__ == '__main__':
    main()
