import * as aws from "@pulumi/aws";
import { StackConfig } from "../domain/config";

/** What every part of a stack shares: the validated config, the stack's provider and its partition. */
export interface StackContext {
    readonly config: StackConfig;
    readonly provider: aws.Provider;
    /** Partition and DNS suffix as the provider reports them. */
    readonly partition: string;
    readonly dnsSuffix: string;
    /** Environment stacks: the port each running service receives traffic on, when its deploy step recorded one. */
    readonly servedContainerPorts: ReadonlyMap<string, number>;
    /** Environment stacks: the image each Lambda service's deploy step recorded, when it recorded one. */
    readonly deployedImages: ReadonlyMap<string, string>;
}
