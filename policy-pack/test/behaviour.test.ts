import { expect } from "chai";
import { CASES } from "./behaviour-cases";
import { check } from "./fixtures";

// Exact verdicts of the policies that judge event routing, the audit trail, privilege escalation, containers and
// load balancers, keys and buckets, and pipeline behaviour, on the small stacks of behaviour-cases.ts (compliant
// and non-compliant for each).

const EXPECTED: [string, string | undefined, string][][] = [
    [],
    [
        [
            "events-push-rule-filtered",
            "every-branch",
            'Event rule "every-branch" matches pushes with no exact branch names in detail.referenceName; required: source ["aws.codecommit"], resources with the repository ARNs and detail.referenceName with the branch names (no prefix, wildcard or anything-but filters); fix: narrow the eventPattern.',
        ],
        [
            "events-push-rule-filtered",
            "every-repository",
            'Event rule "every-repository" matches pushes with no exact repository ARNs in resources; required: source ["aws.codecommit"], resources with the repository ARNs and detail.referenceName with the branch names (no prefix, wildcard or anything-but filters); fix: narrow the eventPattern.',
        ],
        [
            "events-push-rule-filtered",
            "prefix",
            'Event rule "prefix" matches pushes with no exact branch names in detail.referenceName; required: source ["aws.codecommit"], resources with the repository ARNs and detail.referenceName with the branch names (no prefix, wildcard or anything-but filters); fix: narrow the eventPattern.',
        ],
        [
            "events-push-rule-filtered",
            "any-source",
            'Event rule "any-source" matches pushes with no exact source (it matches events of every service), no exact repository ARNs in resources; required: source ["aws.codecommit"], resources with the repository ARNs and detail.referenceName with the branch names (no prefix, wildcard or anything-but filters); fix: narrow the eventPattern.',
        ],
    ],
    [],
    [
        [
            "events-targets-own-accounts",
            "foreign-bus",
            'Event target "foreign-bus": target arn:aws-us-gov:events:us-gov-west-1:999999999999:event-bus/default is in account 999999999999; required: targets and roles of this account (314159265358), or the default event bus of an environment account (271828182845, 141421356237, 173205080756); fix: point the target at this account\'s resource.',
        ],
        [
            "events-targets-own-accounts",
            "foreign-role",
            'Event target "foreign-role": role arn:aws-us-gov:iam::999999999999:role/x is in account 999999999999; required: targets and roles of this account (314159265358), or the default event bus of an environment account (271828182845, 141421356237, 173205080756); fix: point the target at this account\'s resource.',
        ],
    ],
    [
        [
            "events-targets-own-accounts",
            "dev-bus",
            'Event target "dev-bus": target arn:aws-us-gov:events:us-gov-west-1:271828182845:event-bus/default is in account 271828182845; required: targets and roles of this account (173205080756); fix: point the target at this account\'s resource.',
        ],
    ],
    [],
    [
        [
            "iam-pipeline-triggers-scoped",
            "start",
            'IAM role policy "start": statement "StartAny" allows codepipeline:StartPipelineExecution on arn:aws-us-gov:codepipeline:us-gov-west-1:173205080756:*; required: the ARN of the one pipeline or event bus it triggers; fix: scope Resource to that ARN.',
        ],
        [
            "iam-pipeline-triggers-scoped",
            "start",
            'IAM role policy "start": statement 2 allows codepipeline:StartPipelineExecution, events:PutEvents on *; required: the ARN of the one pipeline or event bus it triggers; fix: scope Resource to that ARN.',
        ],
    ],
    [],
    [
        [
            "cloudwatch-alarm-actions",
            "alarm",
            "Alarm \"alarm\" has actionsEnabled false, no alarmActions; required: actions enabled and alarmActions naming this account's notification topic; fix: set alarmActions to the topic's ARN.",
        ],
        [
            "sns-subscription-secure-endpoint",
            "hook",
            'Subscription "hook" delivers over plain HTTP to http://hooks.example.com/x; required: https (or email, or a resource of this account); fix: use protocol "https".',
        ],
        [
            "sns-subscription-secure-endpoint",
            "queue",
            'Subscription "queue" delivers to arn:aws-us-gov:sqs:us-gov-west-1:999999999999:copy of account 999999999999; required: an endpoint of this account (173205080756); fix: subscribe a resource of this account.',
        ],
        [
            "ssm-parameter-secrets-secure-string",
            "password",
            'SSM parameter "password" is a String whose name looks like a secret; required: type SecureString with a customer-managed key (or Secrets Manager); fix: set type "SecureString" and keyId.',
        ],
        [
            "ssm-parameter-secrets-secure-string",
            "url",
            'SSM parameter "url" is a String whose value (a URL with credentials) looks like a secret; required: type SecureString with a customer-managed key (or Secrets Manager); fix: set type "SecureString" and keyId.',
        ],
        [
            "vpc-flow-logs-all-traffic",
            "vpc",
            'VPC "vpc" has no flow log; required: an aws.ec2.FlowLog of the VPC with trafficType "ALL"; fix: create it (the network component does with flowLogs settings).',
        ],
        [
            "vpc-flow-logs-all-traffic",
            "flow-log",
            'Flow log "flow-log" has trafficType "ACCEPT", logDestination arn:aws-us-gov:logs:us-gov-west-1:999999999999:log-group:/vpc/flow-logs of account 999999999999; required: trafficType "ALL" delivered to a log group of this account (173205080756) by a role of this account; fix: set trafficType "ALL" and this account\'s log group and role.',
        ],
    ],
    [],
    [
        [
            "iam-no-policy-write-escalation",
            "escalate",
            'IAM role policy "escalate": statement "Put" allows iam:PutRolePolicy on arn:aws-us-gov:iam::173205080756:role/*; required: no policy writes on a wildcard of principals or policies (whoever holds it can grant itself anything); fix: remove the actions, or name the one role or policy they manage.',
        ],
        [
            "iam-no-policy-write-escalation",
            "escalate",
            'IAM role policy "escalate": statement "Version" allows iam:CreatePolicyVersion on arn:aws-us-gov:iam::173205080756:policy/*; required: no policy writes on a wildcard of principals or policies (whoever holds it can grant itself anything); fix: remove the actions, or name the one role or policy they manage.',
        ],
        [
            "iam-no-policy-write-escalation",
            "escalate",
            'IAM role policy "escalate": statement "Attach" allows iam:AttachRolePolicy, iam:AttachUserPolicy, iam:AttachGroupPolicy on *; required: no policy writes on a wildcard of principals or policies (whoever holds it can grant itself anything); fix: remove the actions, or name the one role or policy they manage.',
        ],
        [
            "iam-no-policy-write-escalation",
            "escalate",
            'IAM role policy "escalate": statement "Not" allows iam:PutRolePolicy, iam:AttachRolePolicy, iam:PutUserPolicy, iam:AttachUserPolicy, iam:PutGroupPolicy, iam:AttachGroupPolicy, iam:CreatePolicyVersion, iam:SetDefaultPolicyVersion, iam:UpdateAssumeRolePolicy, iam:DeleteRolePermissionsBoundary, iam:PutRolePermissionsBoundary on arn:aws-us-gov:iam::173205080756:role/cicd-*; required: no policy writes on a wildcard of principals or policies (whoever holds it can grant itself anything); fix: remove the actions, or name the one role or policy they manage.',
        ],
        [
            "iam-role-session-duration",
            "role",
            'Role "role" has maxSessionDuration 43200 (12.0 h); required: at most 3600; fix: remove maxSessionDuration or set it to 3600.',
        ],
    ],
    [],
    [
        [
            "ecs-container-capabilities-dropped",
            "td",
            'Task definition "td": container app drops no capabilities and adds ["SYS_ADMIN"]; required: linuxParameters.capabilities { drop: ["ALL"] } and no added capability but NET_BIND_SERVICE; fix: set capabilities { drop: ["ALL"] }.',
        ],
        [
            "ecs-fargate-platform-version",
            "old",
            'ECS service "old" runs Fargate platform version 1.3.0; required: LATEST or 1.4.0 and newer; fix: set platformVersion "LATEST".',
        ],
        [
            "elb-target-group-health-check",
            "tg",
            'Target group "tg" has healthCheck.enabled false; required: a health check; fix: remove enabled: false and set the service\'s health path.',
        ],
        [
            "elb-desync-mitigation",
            "alb",
            'Load balancer "alb" has desyncMitigationMode "monitor"; required: defensive or strictest; fix: remove desyncMitigationMode (defensive) or set "strictest".',
        ],
        [
            "ec2-security-group-egress-scoped",
            "all",
            'Egress rule "all" allows all protocols and ports; required: TCP or UDP on one port per rule; fix: one rule per destination port (the egress entries of serviceSettings for the services\' dependencies).',
        ],
        [
            "ec2-security-group-egress-scoped",
            "sg",
            'Security group "sg" egress 1 allows tcp ports 0-65535; required: TCP or UDP on one port per rule; fix: one rule per destination port (the egress entries of serviceSettings for the services\' dependencies).',
        ],
    ],
    [],
    [
        [
            "kms-key-policy-lockout-check",
            "key",
            'KMS key "key" sets bypassPolicyLockoutSafetyCheck true; required: unset or false (the account must keep administering the key); fix: remove bypassPolicyLockoutSafetyCheck.',
        ],
        [
            "kms-key-policy-service-narrowed",
            "key",
            'Key policy of "key": statement "Services" lets cloudwatch.amazonaws.com use the key on behalf of any account (no aws:SourceAccount or aws:SourceArn condition); required: StringEquals aws:SourceAccount of this account (173205080756) or aws:SourceArn of its resources; fix: add the condition.',
        ],
        [
            "kms-key-policy-service-narrowed",
            "key",
            'Key policy of "key": statement "Events" lets events.amazonaws.com use the key on behalf of any account (no aws:SourceAccount or aws:SourceArn condition; and it grants ["kms:*"] beyond ["kms:GenerateDataKey*","kms:Decrypt"]); required: StringEquals aws:SourceAccount of this account (173205080756) or aws:SourceArn of its resources; fix: add the condition.',
        ],
        [
            "kms-key-policy-service-narrowed",
            "key",
            'Key policy of "key": statement "Logs" lets logs.us-gov-west-1.amazonaws.com use the key on behalf of any account (no aws:SourceAccount or aws:SourceArn condition; kms:EncryptionContext:aws:logs:arn ["arn:aws-us-gov:logs:us-gov-west-1:999999999999:log-group:*"] is not of this account); required: StringEquals aws:SourceAccount of this account (173205080756) or aws:SourceArn of its resources; fix: add the condition.',
        ],
        [
            "kms-alias-own-key",
            "alias",
            'KMS alias "alias" points at arn:aws-us-gov:kms:us-gov-west-1:999999999999:key/1 of account 999999999999; required: a key of this account (173205080756); fix: set targetKeyId to this stack\'s key.',
        ],
    ],
    [],
    [
        [
            "s3-bucket-uploads-require-stack-key",
            "bucket",
            'Bucket "bucket" accepts uploads not encrypted with its key: no Deny of s3:PutObject for Principal "*" with StringNotEquals "s3:x-amz-server-side-encryption-aws-kms-key-id" with a key ARN of this account (173205080756); required: both denies; fix: add them to the bucket\'s aws.s3.BucketPolicy.',
        ],
        [
            "s3-lifecycle-keeps-current-versions",
            "bucket",
            'Bucket "bucket": lifecycle rule "everything" expires current versions of every object in prod; required: expiration only under a pipeline\'s artifact prefix, never of releases/; fix: add a filter prefix or expire noncurrent versions only.',
        ],
        [
            "s3-lifecycle-keeps-current-versions",
            "bucket",
            'Bucket "bucket": lifecycle rule "releases" expires current versions under "releases/" in prod; required: expiration only under a pipeline\'s artifact prefix, never of releases/; fix: add a filter prefix or expire noncurrent versions only.',
        ],
    ],
    [
        [
            "s3-bucket-uploads-require-stack-key",
            "bucket",
            'Bucket "bucket" accepts uploads not encrypted with its key: no Deny of s3:PutObject for Principal "*" with StringNotEquals "s3:x-amz-server-side-encryption": "aws:kms", nor with StringNotEquals "s3:x-amz-server-side-encryption-aws-kms-key-id" with a key ARN of this account (271828182845); required: both denies; fix: add them to the bucket\'s aws.s3.BucketPolicy.',
        ],
    ],
    [
        [
            "ecr-no-force-delete",
            "repo",
            'ECR repository "repo" sets forceDelete true in prod; required: forceDelete unset or false in stage and prod; fix: remove forceDelete (and protect the repository).',
        ],
        [
            "source-repositories-protected",
            "source",
            'CodeCommit repository "source" is not protected; required: the protect resource option, so that no update or destroy deletes the source; fix: pass { protect: true }.',
        ],
    ],
    [],
    [],
    [],
    [
        [
            "codebuild-gates-can-fail",
            "unit-tests",
            'CodeBuild project "unit-tests" cannot fail on its gate: its unit tests command ignores its exit status: npm test || true; required: the build fails when the tests or scans fail; fix: remove the masking, or keep the report and fail on its findings.',
        ],
        [
            "codebuild-gates-can-fail",
            "unit-tests-2",
            'CodeBuild project "unit-tests-2" cannot fail on its gate: its unit tests command ignores its exit status: npm test || true; required: the build fails when the tests or scans fail; fix: remove the masking, or keep the report and fail on its findings.',
        ],
        [
            "codebuild-gates-can-fail",
            "scan",
            "CodeBuild project \"scan\" cannot fail on its gate: its security scan command ignores its exit status: npx secretlint '**/*'; exit 0; required: the build fails when the tests or scans fail; fix: remove the masking, or keep the report and fail on its findings.",
        ],
        [
            "codebuild-gates-can-fail",
            "scan-2",
            'CodeBuild project "scan-2" cannot fail on its gate: it runs security scan under "set +e"; required: the build fails when the tests or scans fail; fix: remove the masking, or keep the report and fail on its findings.',
        ],
        [
            "codebuild-gates-can-fail",
            "gate",
            'CodeBuild project "gate" cannot fail on its gate: it runs image scan under "on-failure: CONTINUE"; required: the build fails when the tests or scans fail; fix: remove the masking, or keep the report and fail on its findings.',
        ],
        [
            "codebuild-source-tls-verified",
            "unit-tests",
            'CodeBuild project "unit-tests" fetches without TLS verification: source CODEPIPELINE sets insecureSsl true; its buildspec runs "curl -k"; required: verified TLS; fix: remove insecureSsl and the flag (trust a private CA with its certificate).',
        ],
        [
            "codebuild-source-tls-verified",
            "scan",
            'CodeBuild project "scan" fetches without TLS verification: its buildspec runs "strict-ssl false"; required: verified TLS; fix: remove insecureSsl and the flag (trust a private CA with its certificate).',
        ],
        [
            "codebuild-project-own-role",
            "unit-tests",
            'CodeBuild project "unit-tests" runs under arn:aws-us-gov:iam::173205080756:role/deploy, the role of project "deploy"; required: one role per project (each step\'s role holds only that step\'s permissions); fix: give the project its own role.',
        ],
    ],
    [],
    [
        [
            "codepipeline-image-scan-before-deploy",
            "pipeline",
            'Pipeline "pipeline" pushes an image at "Build/Image" and deploys at "Deploy/Deploy" (project "deploy" is marked PipelineStep "deploy") without an image scan gate between them (the gate runs at "After/Gate"); required: an action whose project judges the image\'s scan findings (\\baws\\s+ecr\\s+describe-image-scan-findings\\b|\\baws\\s+inspector2\\s+list-findings\\b|\\btrivy\\s+image\\b|\\bgrype\\s+\\S) after the push and before the deploy; fix: move the gate before "Deploy".',
        ],
        [
            "codepipeline-own-accounts",
            "pipeline",
            'Pipeline "pipeline": the pipeline role arn:aws-us-gov:iam::999999999999:role/pipeline is of account 999999999999; the artifact store key arn:aws-us-gov:kms:us-gov-west-1:999999999999:key/1 is of account 999999999999; the role of action "Source/Source" arn:aws-us-gov:iam::999999999999:role/source is of account 999999999999; the role of action "Build/Image" arn:aws-us-gov:iam::314159265358:role/build is of account 314159265358; required: this account (173205080756), and for Source actions the tool account (314159265358); fix: use this account\'s key and roles.',
        ],
        [
            "codepipeline-reviewed-branch",
            "pipeline",
            'Pipeline "pipeline": source action "Source/Source" follows branch "develop" (the dev branch) in prod; required: "main" (prodBranch); fix: set BranchName to it.',
        ],
    ],
    [
        [
            "codepipeline-reviewed-branch",
            "pipeline",
            'Pipeline "pipeline": source action "Source/Source" follows branch "feature/x" in stage; required: "release/stage" (stageBranch); fix: set BranchName to it.',
        ],
    ],
];

describe("policies judged by behaviour: events, audit trail, escalation, containers, keys and buckets, pipelines", () => {
    it("every case has its expected verdict", () => expect(EXPECTED).to.have.length(CASES.length));
    CASES.forEach((c, i) => {
        it(c.title, async () => {
            expect(await check(c.policies, c.resources, c.options ?? {})).to.deep.equal(EXPECTED[i]);
        });
    });
});
